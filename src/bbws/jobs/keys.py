"""Where the items of jobs live in the single table (operations, workers' heartbeats, the last error of an SQS
job); the only place their keys are spelled."""

from __future__ import annotations

from bbws.core.keys import tenant_pk

OPERATION_PREFIX = "OP#"
OPERATION_INDEX_SK = "OP"  # GSI1 finds an operation by its id alone (the one item of its partition)


def operation_key(tenant_id: str, operation_id: str) -> tuple[str, str]:
    """Operations are kept in their tenant's partition, newest last by id."""
    return tenant_pk(tenant_id), f"{OPERATION_PREFIX}{operation_id}"


def operation_index_pk(operation_id: str) -> str:
    return f"{OPERATION_PREFIX}{operation_id}"


def operation_index(operation_id: str) -> dict[str, str]:
    return {"GSI1PK": operation_index_pk(operation_id), "GSI1SK": OPERATION_INDEX_SK}


WORKERS_PK = "WORKERS"
WORKER_PREFIX = "WORKER#"


def worker_key(worker_id: str) -> tuple[str, str]:
    """One heartbeat record per worker: when it last beat and how many jobs it held."""
    return WORKERS_PK, f"{WORKER_PREFIX}{worker_id}"


def job_error_key(message_id: str) -> tuple[str, str]:
    """Where the last error of a job lives (SQS cannot keep it on the message)."""
    return f"JOBERROR#{message_id}", "LAST"
