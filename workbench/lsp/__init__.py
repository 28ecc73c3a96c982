"""The language server for model files (``threat-workbench lsp``): diagnostics as you
type, completion, hover, code actions that record decisions, go to definition, find
references, rename and the outline, for any editor that speaks the Language Server
Protocol.

It needs pygls (``pip install ai-threat-workbench[lsp]``); ``import workbench`` never
imports it. The parts that read the text (:mod:`.outline`) and hold a document's state
(:mod:`.document`) are plain Python over the core; :mod:`.server` wires them to pygls.
"""
