"""The warehouse: canonical tables in DuckDB, filled by atomic, provenanced import batches."""

from ever6.provenance import Batch, file_sha256
from ever6.warehouse.store import ImportOutcome, RollbackError, Warehouse

__all__ = ["Batch", "ImportOutcome", "RollbackError", "Warehouse", "file_sha256"]
