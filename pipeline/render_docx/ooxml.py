"""OOXML helpers for the DOCX stage: namespaces, the schema's child-order tables, and functions
that add an element where the schema wants it, serialise a part and empty a document's body.
Word rejects a file whose elements stand out of the order ECMA-376 prescribes, so every element
the renderer adds to existing properties goes in through `get_or_add` with the table of the
elements that must follow it.
"""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import nsmap, qn
from lxml import etree

DRAWINGML = nsmap["a"]
EXTENDED_PROPERTIES = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"

# Elements that follow w:color, w:sz, w:szCs in a run's properties (CT_RPr order).
RPR_AFTER_COLOR = ("w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight",
                   "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl",
                   "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
RPR_AFTER_SZ = RPR_AFTER_COLOR[5:]
RPR_AFTER_SZCS = RPR_AFTER_COLOR[6:]
# Elements that follow w:spacing in a paragraph's properties (CT_PPr order).
PPR_AFTER_SPACING = ("w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
                     "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
                     "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
                     "w:pPrChange")
# CT_TcPr order: tcW, gridSpan, vMerge/hMerge, tcBorders, shd, noWrap, tcMar, ...
TCPR_AFTER_TCMAR = ("w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")

# Elements that follow w:embedTrueTypeFonts in w:settings (ECMA-376 CT_Settings order).
SETTINGS_AFTER_EMBED_FONTS = (
    "w:embedSystemFonts", "w:saveSubsetFonts", "w:saveFormsData", "w:mirrorMargins",
    "w:alignBordersAndEdges", "w:bordersDoNotSurroundHeader", "w:bordersDoNotSurroundFooter",
    "w:gutterAtTop", "w:hideSpellingErrors", "w:hideGrammaticalErrors", "w:activeWritingStyle",
    "w:proofState", "w:formsDesign", "w:attachedTemplate", "w:linkStyles",
    "w:stylePaneFormatFilter", "w:stylePaneSortMethod", "w:documentType", "w:mailMerge",
    "w:revisionView", "w:trackRevisions", "w:doNotTrackMoves", "w:doNotTrackFormatting",
    "w:documentProtection", "w:autoFormatOverride", "w:styleLockTheme", "w:styleLockQFSet",
    "w:defaultTabStop", "w:autoHyphenation", "w:consecutiveHyphenLimit", "w:hyphenationZone",
    "w:doNotHyphenateCaps", "w:showEnvelope", "w:summaryLength", "w:clickAndTypeStyle",
    "w:defaultTableStyle", "w:evenAndOddHeaders", "w:bookFoldRevPrinting", "w:bookFoldPrinting",
    "w:bookFoldPrintingSheets", "w:drawingGridHorizontalSpacing",
    "w:drawingGridVerticalSpacing", "w:displayHorizontalDrawingGridEvery",
    "w:displayVerticalDrawingGridEvery", "w:doNotUseMarginsForDrawingGridOrigin",
    "w:drawingGridHorizontalOrigin", "w:drawingGridVerticalOrigin", "w:doNotShadeFormData",
    "w:noPunctuationKerning", "w:characterSpacingControl", "w:printTwoOnOne",
    "w:strictFirstAndLastChars", "w:noLineBreaksAfter", "w:noLineBreaksBefore",
    "w:savePreviewPicture", "w:doNotValidateAgainstSchema", "w:saveInvalidXml",
    "w:ignoreMixedContent", "w:alwaysShowPlaceholderText", "w:doNotDemarcateInvalidXml",
    "w:saveXmlDataOnly", "w:useXSLTWhenSaving", "w:saveThroughXslt", "w:showXMLTags",
    "w:alwaysMergeEmptyNamespace", "w:updateFields", "w:hdrShapeDefaults", "w:footnotePr",
    "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema",
    "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown",
    "w:smartTagType", "sl:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags",
    "w:decimalSymbol", "w:listSeparator",
)


def get_or_add(parent, tag: str, after: tuple[str, ...] = ()):
    """Return parent's child tag, adding it before the first of `after` present if missing."""
    child = parent.find(qn(tag))
    if child is None:
        child = parent.insert_element_before(OxmlElement(tag), *after)
    return child


def set_child(parent, tag: str, after: tuple[str, ...] = (), **attributes) -> None:
    """Set w: attributes on parent's child tag, adding it in schema order if missing."""
    child = get_or_add(parent, tag, after)
    for name, value in attributes.items():
        child.set(qn(f"w:{name}"), value)


def part_xml(root) -> bytes:
    """Return an XML part's bytes as Word writes them: declared UTF-8, standalone."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def clear_body(document) -> None:
    """Drop whatever text a document's body holds; keep its section settings."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
