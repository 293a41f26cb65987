"""Writes of the assessment app. Each use case is one function; see the modules for contracts.

Every source of score facts — the imports here, ratings and discipline, and later complaints,
training and mystery-shop results — writes through `record_score_facts`.
"""

from assessment.services.compute import (
    compute_month_results,
    require_branch_permission,
    require_month_computable,
)
from assessment.services.facts import (
    FactInput,
    FactWithdrawResult,
    FactWriteResult,
    StagedFacts,
    record_score_facts,
    withdraw_score_facts,
)
from assessment.services.imports import ImportResult, import_customer_evaluations, import_daily_kpis
from assessment.services.publish import publish_results
from assessment.services.ratings import rate_staff, record_discipline_incident
from assessment.services.schemes import (
    IndicatorSpec,
    activate_scheme,
    create_scheme_version,
    update_scheme,
    validate_indicators,
)

__all__ = [
    "FactInput",
    "FactWriteResult",
    "ImportResult",
    "IndicatorSpec",
    "StagedFacts",
    "activate_scheme",
    "compute_month_results",
    "create_scheme_version",
    "import_customer_evaluations",
    "import_daily_kpis",
    "publish_results",
    "rate_staff",
    "record_discipline_incident",
    "record_score_facts",
    "withdraw_score_facts",
    "FactWithdrawResult",
    "require_branch_permission",
    "require_month_computable",
    "update_scheme",
    "validate_indicators",
]
