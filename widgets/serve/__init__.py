"""The workshop app: the workbench canvas served by Panel, one model per browser session,
or one model shared by a room (``--shared``).

``threat-workbench serve`` (see :mod:`widgets.serve.command` and ``docs/serve.md``) runs
:func:`~widgets.serve.server.make_server`, or with ``--shared``
:func:`~widgets.serve.server.make_shared_server` (see :mod:`widgets.serve.room` and
:mod:`widgets.serve.shared`). Without ``--shared``, every browser session gets its own
:class:`~widgets.serve.session.WorkshopSession`: a copy of the starting model, its own
:class:`~widgets.canvas.Canvas` (which holds the live model and all of the sync logic), a
Panel-native inspector and threat panel, and buttons to download the model as YAML and
the risk assessment as HTML. Nothing is shared between sessions except the immutable
starting model and the catalog, and nothing is written on the server: sessions cannot
overwrite each other's work or the starting file.

The modules, each importing only from those above it (and from the rest of ``widgets``):

- :mod:`~widgets.serve.bridge`: :class:`CanvasView`, the canvas's front end as a Panel
  component, its traits and messages bridged to the session's ``Canvas``;
- :mod:`~widgets.serve.panels`: the Panel inspector and threat panel;
- :mod:`~widgets.serve.session`: :class:`WorkshopSession` and the per-session app function;
- :mod:`~widgets.serve.auth`: the access token, its cookie exchange, the :class:`Gate` in
  front of every route (origins and token) and the security headers of every response;
- :mod:`~widgets.serve.logs`: tokens kept out of Tornado's logs;
- :mod:`~widgets.serve.room`: a shared room's model, order of changes, saving, undo and
  presence, with no UI library;
- :mod:`~widgets.serve.shared`: the Panel sessions of a shared room and the room list;
- :mod:`~widgets.serve.panel_fixes`: a fix for a race in Panel's deferred writes;
- :mod:`~widgets.serve.server`: :func:`make_server`, all of the above put together;
- :mod:`~widgets.serve.command`: the ``serve`` subcommand (imports Panel only when it runs).

Importing this package imports none of them, so the CLI's ``command`` stays light;
:mod:`widgets.app` and :mod:`widgets.serve_command` re-export their names under the old
paths.
"""
