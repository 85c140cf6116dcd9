"""HTTP probes for orchestrators and load balancers."""

from fastapi import APIRouter

from app import __version__
from app.db import DatabaseDep
from app.health.schemas import Liveness, Readiness
from app.health.service import check_readiness
from app.problems import problem_responses

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> Liveness:
    """The process is up and serving; touches nothing else."""
    return Liveness(version=__version__)


@router.get(
    "/readyz",
    summary="Readiness",
    responses=problem_responses(503, codes={503: ["DATABASE_UNAVAILABLE", "SCHEMA_OUT_OF_DATE"]}),
)
def readyz(database: DatabaseDep) -> Readiness:
    """The database is reachable and migrated to the revision this code needs."""
    return check_readiness(database)
