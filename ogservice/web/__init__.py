"""HTTP layer: Flask blueprints that translate HTTP to pipeline calls and back, nothing more."""
