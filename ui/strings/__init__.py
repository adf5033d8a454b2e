"""String catalog, one module per page or widget: each defines ``STRINGS = {key: (english, chinese)}``.

Keys are dotted and start with the module's area (``overview.``, ``conv.``, …). :mod:`ui.i18n` merges
every module here and refuses duplicate keys.
"""
