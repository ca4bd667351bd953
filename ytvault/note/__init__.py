"""A note as text, pure: URL forms to video ids, frontmatter as YAML text, a note's parts and
kind (stub or not), the rendered note, the merge into what the person wrote, device claims, and
the lines `refresh` may bring up to date.

No network, and no disk but reading one note (`parse.read_text`). May import `ytvault.errors`,
`ytvault.config`, `ytvault.models`, `ytvault.cost` and `ytvault.outcome`.
"""
