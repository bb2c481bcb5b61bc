"""Where the project's own files live, resolved from the package location."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
TEMPLATES_DIR = ROOT / "reports" / "templates"
I18N_DIR = ROOT / "reports" / "i18n"
ASSETS_DIR = ROOT / "reports" / "assets"
SOURCES_DIR = Path(__file__).resolve().parent / "ingest" / "sources"
DEFAULT_CONFIG = ROOT / "config" / "pipeline.yaml"
DEFAULT_RULES = ROOT / "config" / "discipline.yaml"
DEFAULT_INCENTIVES = ROOT / "config" / "incentives.yaml"
DEFAULT_CHANNELS = ROOT / "config" / "channels.yaml"
SAMPLE_DIR = ROOT / "data" / "sample"
SAMPLE_CONFIG = ROOT / "data" / "sample-config" / "pipeline.yaml"
