"""Dashboard routes, in one place."""

LOGIN = "/login"
SIGNUP = "/signup"
HOME = "/"
CONVERSATIONS = "/conversations"
CUSTOMERS = "/customers"
SIMULATOR = "/simulator"
PRODUCTS = "/products"
INTEGRATIONS = "/integrations"
ANALYTICS = "/analytics"
SETTINGS = "/settings"
ONBOARDING = "/onboarding"

# (route, label, icon) in sidebar order.
NAVIGATION = (
    (HOME, "Overview", "layout-dashboard"),
    (CONVERSATIONS, "Conversations", "messages-square"),
    (CUSTOMERS, "Customers", "users"),
    (SIMULATOR, "Simulator", "smartphone"),
    (PRODUCTS, "Products", "package"),
    (INTEGRATIONS, "Integrations", "plug"),
    (ANALYTICS, "Analytics", "chart-column"),
    (SETTINGS, "Settings", "settings"),
    (ONBOARDING, "Onboarding", "rocket"),
)
