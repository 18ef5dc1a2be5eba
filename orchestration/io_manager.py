"""Each asset's table persisted as Parquet: one file per asset and partition, so runs can be audited
and a backfill's output compared with the previous one file by file."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

UNPARTITIONED = "__all__"


class ParquetTableIOManager(dg.ConfigurableIOManager):
    """Stores pandas DataFrames at `{base_dir}/{asset/key/path}/{partition}.parquet`."""

    base_dir: str

    def _path(self, context: dg.OutputContext | dg.InputContext, partition: str) -> Path:
        safe = partition.replace("/", "_")
        return Path(self.base_dir).joinpath(*context.asset_key.path) / f"{safe}.parquet"

    @staticmethod
    def _partition(context: dg.OutputContext | dg.InputContext) -> str:
        return context.asset_partition_key if context.has_asset_partitions else UNPARTITIONED

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | None) -> None:
        if obj is None:
            return
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()} returned {type(obj).__name__}, expected a DataFrame")
        path = self._path(context, self._partition(context))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        obj.to_parquet(tmp, index=False)
        tmp.replace(path)  # atomic: a crashed run never leaves half a file behind
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path)), "rows": len(obj)})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        path = self._path(context, self._partition(context))
        if not path.exists():
            raise FileNotFoundError(
                f"no stored table for {context.asset_key.to_user_string()} partition "
                f"{self._partition(context)!r} at {path}: materialize it first"
            )
        return pd.read_parquet(path)
