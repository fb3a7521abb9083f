"""Publish Khmer career handouts: validate YAML sources, render print-ready PDF and DOCX.

The stages, each a module with one entry point:
load → validate → prepare (labels, figures, Khmer word breaks) → render_html → render_pdf,
and prepare → render_docx; `build` runs them and writes outputs atomically.
"""

__version__ = "0.1.0"
