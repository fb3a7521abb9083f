"""The site writer: the web pages behind the QR codes, in site/ (see render_site)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Settings
from ..model import Document
from . import Project, Writer, get, register


@register
class SiteWriter(Writer):
    name = "site"
    help = "a static web site in site/: a page per handout, an index with search"
    order = 70
    # The site copies the PDF and DOCX, whose bytes these settings change.
    settings = ("page_size", "pdf_variant", "organisation", "online_url")
    libraries = ("jinja2", "fonttools", "brotli", "pyicu-wheels")
    folders = ("site",)
    # Offered beside each page, in this order, as each of these writers says.
    links = ("pdf", "docx")
    per_handout = False
    breaks = False  # the browser breaks Khmer lines; copied text must equal the source

    def set_inputs(self, project: Project) -> tuple[Path, ...]:
        from ..fair import fair_files

        return fair_files(project.sources)

    def finish(self, documents: Sequence[Document], settings: Settings,
               project: Project) -> dict[str, bytes]:
        from ..outputs import STATE_FOLDER
        from ..render_site import Offer, render_site

        downloads = {}
        for doc in documents:
            offered = []
            for writer in map(get, self.links):
                file = writer.offered(doc.id)
                path = project.out_dir / file if file else None
                if path is not None and path.exists():
                    offered.append(Offer(Path(file).name, path.read_bytes(),
                                         writer.media_type))
            downloads[doc.id] = offered
        site = render_site(documents, settings, downloads, fair_groups(project),
                           cache_dir=project.out_dir / STATE_FOLDER / "cache" / "site-fonts")
        return {f"site/{path}": data for path, data in site.files.items()}

    def summary(self, out_dir: Path) -> list[str]:
        """Return a line per page with its weight (page, CSS, script and fonts)."""
        from ..render_site import PAGE_BUDGET_BYTES, site_weights

        lines = []
        for page, weight in site_weights(out_dir / "site").items():
            over = " OVER BUDGET" if weight > PAGE_BUDGET_BYTES else ""
            lines.append(f"site/{page}: {weight / 1024:.0f} KB with fonts, CSS and script "
                         f"(budget {PAGE_BUDGET_BYTES // 1024} KB){over}")
        return lines


def fair_groups(project: Project):
    """Return the index's groups from the first fair file that has an order of its own.

    The fair writers report a fair file's mistakes; here one that does not load only means
    no grouping.
    """
    from ..fair import fair_files, load_fair
    from ..render_site import Group

    known = {source.stem for source in project.sources}
    for path in fair_files(project.sources):
        fair, _ = load_fair(path, str(path), known, set())
        if fair is not None and fair.sections:
            return [Group(section.heading, section.handouts) for section in fair.sections]
    return []
