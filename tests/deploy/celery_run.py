"""One run of a job of deploy/celery/definitions.py for one partition, through the Celery executor.

`python -m tests.deploy.celery_run bom_sync ASM-10004 [MODULE [TAGS_JSON]]` with DAGSTER_HOME and the stack's
environment (tests/deploy/celery_stack.py); prints {"partition", "run_id", "success"} as the last line of stdout.
This process only orchestrates: it claims pool slots and sends each step to the broker. MODULE (default
the Celery code location) lets a benchmark run the project's own in-process jobs the same way.
"""

from __future__ import annotations

import json
import sys

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository

from tests.deploy.celery_stack import ROOT

PARTITION_TAG = "dagster/partition"
CELERY_MODULE = "deploy.celery.definitions"


def main(argv: list[str]) -> int:
    job_name, partition, *rest = argv
    module = rest[0] if rest else CELERY_MODULE
    tags = json.loads(rest[1]) if len(rest) > 1 else {}
    # a reconstructable job: each worker rebuilds it from this module pointer
    job = ReconstructableRepository.for_module(module, "defs", working_directory=str(ROOT)).get_reconstructable_job(
        job_name
    )
    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(job, instance, tags={**tags, PARTITION_TAG: partition}, raise_on_error=False)
    print(json.dumps({"partition": partition, "run_id": result.run_id, "success": result.success}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
