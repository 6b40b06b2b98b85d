"""The bundle as a read-only Kubernetes API: what `serve` answers kubectl with and what
`get` and `logs` print without a server, from one catalog of the bundle's kinds.

catalog.py: the kinds and objects (through analyzer.sources); crds.py: what the bundle's
CRDs say of their kinds; select.py: label and field selectors; tables.py: the columns of
`get`; logs.py: pod logs and node journals; api.py: requests to replies; server.py: HTTP on
127.0.0.1.
"""
