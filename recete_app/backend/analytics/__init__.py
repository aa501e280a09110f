"""What Recete did and what it earned: the facts recorded about journey sends (the analytics
queue), their daily rollup, tracked links, and WhatsApp's estimated cost. Imports nothing but
the foundation, so every package that records a fact can reach it."""
