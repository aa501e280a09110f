"""Post-delivery journeys: the merchant's steps, and the plan made for each delivered order."""
