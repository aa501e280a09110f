"""/api/analytics: what the journeys did over a range of days, in the store's timezone (both
ends included), from the same report the Analytics page shows; the CSV export is that report's
table. A bad range is a 422 naming the field (`from`, `to`, `table`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from recete_app.backend.analytics import agent_report, reports
from recete_app.backend.http.auth import AdminCaller

router = APIRouter(prefix="/api/analytics", tags=["analytics"])
Caller = AdminCaller
From = Annotated[
    str, Query(alias="from", description="First day, YYYY-MM-DD", examples=["2026-11-01"])
]
To = Annotated[
    str, Query(alias="to", description="Last day (included), YYYY-MM-DD", examples=["2026-11-30"])
]


class FiguresView(BaseModel):
    sent: int = Field(examples=[120])
    delivered: int = Field(examples=[116])
    read: int = Field(examples=[84])
    replied: int = Field(examples=[19])
    clicked: int = Field(examples=[11])
    failed: int = Field(examples=[3])
    opted_out: int = Field(examples=[1])
    billable: int = Field(examples=[110])
    delivered_rate: float | None = Field(examples=[0.9667])  # delivered ÷ sent
    read_rate: float | None = Field(examples=[0.7241])  # read ÷ delivered
    reply_rate: float | None = Field(examples=[0.1638])  # replied ÷ delivered
    click_rate: float | None = Field(examples=[0.0948])  # clicked ÷ delivered
    cost_estimate: Decimal = Field(examples=["0.8450"])  # estimated, USD
    attributed_orders: int = Field(examples=[4])
    attributed_revenue: dict[str, Decimal] = Field(examples=[{"TRY": "1840.00"}])
    failures: dict[str, dict[str, Any]] = Field(
        examples=[{"131026": {"count": 2, "title": "Message undeliverable"}}]
    )


class RangeView(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date


class SummaryView(BaseModel):
    range: RangeView
    previous_range: RangeView  # the same number of days just before
    timezone: str  # the store's: the days are its days
    figures: FiguresView
    previous_figures: FiguresView
    attribution: dict[str, int] = Field(examples=[{"click_days": 5, "read_days": 1}])
    rate_card: str  # the rate card the costs are estimated with
    rolled_up_at: Any  # when the figures were last rolled up (they lag by up to a minute)
    formulas: dict[str, str]  # how each figure is computed


class StepView(FiguresView):
    step: str = Field(examples=["day3_usage_tips"])


class JourneysView(BaseModel):
    range: RangeView
    timezone: str
    steps: list[StepView]
    total: FiguresView


class DailyPoint(BaseModel):
    day: date
    value: float | None


class DailyView(BaseModel):
    range: RangeView
    timezone: str
    metric: str
    points: list[DailyPoint]


def _report(caller: Any, start: str, end: str) -> reports.JourneyReport:
    return reports.journey_report(caller.merchant_id, reports.date_range(start, end))


def _range(span: reports.DateRange) -> RangeView:
    return RangeView.model_validate({"from": span.start, "to": span.end})


def _figures(figures: reports.Figures) -> FiguresView:
    return FiguresView.model_validate(figures.as_row())


@router.get("/summary", response_model_by_alias=True)
def summary(caller: Caller, start: From, end: To) -> SummaryView:
    """The headline figures of the range, and of the same number of days before it."""
    report = _report(caller, start, end)
    return SummaryView(
        range=_range(report.span),
        previous_range=_range(report.span.previous()),
        timezone=report.timezone,
        figures=_figures(report.totals),
        previous_figures=_figures(report.previous),
        attribution={"click_days": report.click_days, "read_days": report.read_days},
        rate_card=report.rate_card,
        rolled_up_at=report.rolled_up_at,
        formulas=reports.FORMULAS,
    )


@router.get("/journeys", response_model_by_alias=True)
def journeys(caller: Caller, start: From, end: To) -> JourneysView:
    """Each journey step's figures over the range: its funnel."""
    report = _report(caller, start, end)
    return JourneysView(
        range=_range(report.span),
        timezone=report.timezone,
        steps=[StepView(step=step, **f.as_row()) for step, f in report.steps.items()],
        total=_figures(report.totals),
    )


METRICS = reports.NUMBERS


class AgentView(BaseModel):
    range: RangeView
    timezone: str
    answered: int = Field(examples=[240])  # customers' messages the AI answered
    guardrail_blocks: int = Field(examples=[3])  # drafts a guardrail stopped
    escalations: int = Field(examples=[18])
    urgent: int = Field(examples=[1])  # adverse reactions, flagged urgent
    by_reason: dict[str, int] = Field(examples=[{"complaint": 9, "human": 5, "refund": 4}])
    median_wait_minutes: float | None = Field(examples=[42.5])  # escalation -> a person's reply
    p90_wait_minutes: float | None = Field(examples=[310.0])
    unanswered_24h: int = Field(examples=[2])  # no person's reply within 24 hours
    adverse_reactions: list[dict[str, Any]] = Field(
        examples=[[{"escalated_at": "2026-11-12T09:30:00+00:00", "waited_minutes": 12.0}]]
    )
    llm_cost_usd: Decimal = Field(examples=["1.284000"])


@router.get("/agent", response_model_by_alias=True)
def agent(caller: Caller, start: From, end: To) -> AgentView:
    """The agent over the range: answers, guardrail blocks, escalations by reason, how long
    customers waited for a person, those left unanswered for 24 hours, adverse reactions."""
    span = reports.date_range(start, end)
    zone = reports.store_timezone_of(caller.merchant_id)
    figures = agent_report.agent_figures(caller.merchant_id, span.start, span.end, zone)
    return AgentView(range=_range(span), timezone=zone, **vars(figures))


@router.get("/daily", response_model_by_alias=True)
def daily(
    caller: Caller,
    start: From,
    end: To,
    metric: Annotated[str, Query(description=f"One of: {', '.join(METRICS)}")] = "sent",
) -> DailyView:
    """One figure for each day of the range (days without sends are 0)."""
    if metric not in METRICS:
        reports.refuse("metric", f"one of {', '.join(METRICS)}")
    report = _report(caller, start, end)
    return DailyView(
        range=_range(report.span),
        timezone=report.timezone,
        metric=metric,
        points=[DailyPoint(day=day, value=f.as_row()[metric]) for day, f in report.daily],
    )


@router.get(
    "/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The table as CSV"}},
)
def export_csv(
    caller: Caller,
    start: From,
    end: To,
    table: Annotated[str, Query(description="journeys or daily")] = "journeys",
) -> Response:
    """A table of the Analytics page as CSV, from the same figures as the page and the API."""
    report = _report(caller, start, end)
    name = f"recete-{table}-{report.span.start}-{report.span.end}.csv"
    return Response(
        reports.csv_text(report, table),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
