"""Dirty agency-side datasets (telecom, bank, social insurance, hospital) with answer keys."""

from seed.datasets.faults import ALL_FAULTS
from seed.datasets.generate import DatasetReport, generate_dataset, write_rows
from seed.datasets.sectors import DatasetSector

__all__ = ["ALL_FAULTS", "DatasetReport", "DatasetSector", "generate_dataset", "write_rows"]
