"""Publish Khmer career handouts: validate YAML sources, render print-ready PDF and DOCX.

The stages, each a module with one entry point:
load → validate (against the declarations in schema.py) → prepare (labels, figures, Khmer
word breaks) → a writer per output format (writers/: render_html → render_pdf, render_docx,
render_booklet, render_poster, render_site); `plan` works out what is out of date, `build`
renders it in a pool of workers, and `outputs` writes each handout's files together.
`import_docx` reads an edited DOCX back into its source (`read_docx` reads the DOCX;
`locks` keeps one import at a time per sources folder).
"""

__version__ = "0.1.0"
