"""All tables. Import this package before using the metadata (Alembic, tests)."""

from sqlmodel import SQLModel

from recete_app.backend.models.base import JobStatus
from recete_app.backend.models.commerce import (
    ConsentEvent,
    Customer,
    CustomerExport,
    DomainEvent,
    ExternalEvent,
    Integration,
    IntegrationStatus,
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
    AnalyticsEventName,
    Conversation,
    ConversationStatus,
    Journey,
    JourneyDay,
    JourneyStep,
    LlmCall,
    Message,
    MessageDirection,
    MessageStatus,
    ScheduledMessage,
    ScheduledStatus,
    TrackedLink,
)
from recete_app.backend.models.tenancy import (
    Account,
    ApiKey,
    AuditLog,
    AuthSession,
    IdempotencyKey,
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
    "AnalyticsEventName",
    "ApiKey",
    "AuditLog",
    "AuthSession",
    "ConsentEvent",
    "Conversation",
    "ConversationStatus",
    "Customer",
    "CustomerExport",
    "DomainEvent",
    "ExternalEvent",
    "IdempotencyKey",
    "Integration",
    "IntegrationStatus",
    "JobSchedule",
    "JobStatus",
    "Journey",
    "JourneyDay",
    "JourneyStep",
    "KnowledgeChunk",
    "LlmCall",
    "Merchant",
    "Message",
    "MessageDirection",
    "MessageStatus",
    "Order",
    "OrderImport",
    "OrderImportChunk",
    "OrderItem",
    "Product",
    "ProductSection",
    "ScheduledMessage",
    "ScheduledStatus",
    "ScrapeJob",
    "TrackedLink",
    "metadata",
]
