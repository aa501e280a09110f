"""All tables. Import this package before using the metadata (Alembic, tests)."""

from sqlmodel import SQLModel

from recete_app.backend.models.commerce import (
    ConsentEvent,
    Customer,
    DomainEvent,
    ExternalEvent,
    Integration,
    Order,
    OrderImport,
    OrderImportChunk,
    OrderItem,
)
from recete_app.backend.models.knowledge import (
    KnowledgeChunk,
    Product,
    ProductSection,
    ScrapeJob,
)
from recete_app.backend.models.messaging import (
    AnalyticsEvent,
    Conversation,
    Journey,
    JourneyStep,
    LlmCall,
    Message,
    ScheduledMessage,
    ScheduledStatus,
)
from recete_app.backend.models.tenancy import (
    Account,
    ApiKey,
    AuditLog,
    AuthSession,
    JobSchedule,
    Merchant,
)

metadata = SQLModel.metadata

# Tables whose rows belong to one merchant: row-level security keys them on merchant_id.
TENANT_TABLES: tuple[str, ...] = tuple(
    sorted(name for name, table in metadata.tables.items() if "merchant_id" in table.c)
)

__all__ = [
    "TENANT_TABLES",
    "Account",
    "AnalyticsEvent",
    "ApiKey",
    "AuditLog",
    "AuthSession",
    "ConsentEvent",
    "Conversation",
    "Customer",
    "DomainEvent",
    "ExternalEvent",
    "Integration",
    "JobSchedule",
    "Journey",
    "JourneyStep",
    "KnowledgeChunk",
    "LlmCall",
    "Merchant",
    "Message",
    "Order",
    "OrderImport",
    "OrderImportChunk",
    "OrderItem",
    "Product",
    "ProductSection",
    "ScheduledMessage",
    "ScheduledStatus",
    "ScrapeJob",
    "metadata",
]
