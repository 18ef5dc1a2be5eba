"""Runs the `maintenance_postings` job for one day as a deployment would (`python -m ... DAY`), wired from the
environment; the kill -9 test starts it as a subprocess and kills it during the posting."""

import sys

from orchestration.bom_runs import instance
from orchestration.definitions import defs

if __name__ == "__main__":
    result = defs.resolve_job_def("maintenance_postings").execute_in_process(
        partition_key=sys.argv[1], instance=instance(), raise_on_error=False
    )
    sys.exit(0 if result.success else 1)
