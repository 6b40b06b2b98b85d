"""Secret shapes as they appear in support bundles, and look-alikes that are not secrets.

Each ``SECRETS`` case is text as a report could quote it (a log line, a line of an object dump,
or a window of several lines: context around a log line, a multi-line excerpt, a YAML block
scalar) and the exact substrings that must not survive redaction. ``LOOKALIKES`` must come
out of redaction unchanged. The values are made up; the shapes are real.

What counts as a secret here (and what does not) is a decision, written down once:

- secret: passwords, passphrases, tokens (bearer, service-account JWTs, RKE2/K3s join tokens,
  Rancher API and kubeconfig tokens, cloud and SaaS API keys), cloud access key ids (they
  name an account's credential and are half of it), Basic-auth credentials, private keys
  (PEM, base64 kubeconfig ``client-key-data``, Secret ``tls.key``), registry ``auth`` strings,
  and the password part of URLs and connection strings;
- not secret: certificates and CA bundles (public by design: sent in every TLS handshake),
  references to secrets (``secretName``, ``secretRef``, ``*-file`` paths), already-masked
  values (``***``, support-bundle-kit's mask), booleans and durations of secret-named settings,
  digests, UIDs, resourceVersions, timestamps, container ids, and prose about tokens or
  passwords ("token: mismatch", "password expired").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    where: str  # the kind of file the text comes from
    text: str
    secrets: tuple[str, ...]


_JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1xN3lTIn0"
    ".eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNhIn0"
    ".Qm9ndXNTaWduYXR1cmVCeXRlc0Zvckp3dFRlc3RpbmcxMjM0NTY3ODk"
)
_PEM_BODY = (
    "MIIEpAIBAAKCAQEAwJ8nLqmGvS3Ykq0fXbTu9CQ2ZVp7e3o1h4j5k6l7m8n9o0p1",
    "q2r3s4t5u6v7w8x9y0z1A2B3C4D5E6F7G8H9I0J1K2L3M4N5O6P7Q8R9S0T1U2V3",
    "W4X5Y6Z7a8b9c0d1e2f3g4h5i6j7k8l9m0n1o2p3q4r5s6t7u8v9w0x1y2z3AB==",
)
_KUBECONFIG_KEY = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUJ4eGt6"
_K10 = "K10" + "3f9a1c" * 11 + "::server:9d8c7b6a5f4e3d2c1b0a"


def _pem(indent: str = "", kind: str = "RSA PRIVATE KEY") -> list[str]:
    return [
        f"{indent}-----BEGIN {kind}-----",
        *(indent + line for line in _PEM_BODY),
        f"{indent}-----END {kind}-----",
    ]


SECRETS: tuple[Case, ...] = (
    # -- env dumps and pod specs ------------------------------------------------------------
    Case(
        "env",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",),
    ),
    Case("env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", ("AKIAIOSFODNN7EXAMPLE",)),
    Case("env", "MYSQL_ROOT_PASSWORD=changeme", ("changeme",)),
    Case("env", "CATTLE_BOOTSTRAP_PASSWORD=admin", ("admin",)),
    Case("env", "SECRET_KEY_BASE=9e3a7b1f0c4d2e8a6b5c", ("9e3a7b1f0c4d2e8a6b5c",)),
    Case("env", "client_secret=lowercasesecretvalue", ("lowercasesecretvalue",)),
    Case(
        "env",
        "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a",),
    ),
    Case(
        "pod spec",
        "        - name: MINIO_ROOT_PASSWORD\n          value: minio-lower-pass",
        ("minio-lower-pass",),
    ),
    Case(
        "pod spec, JSON",
        '{"env":[{"name":"POSTGRES_PASSWORD","value":"pg pass with spaces"}]}',
        ("pg pass with spaces",),
    ),
    # -- Kubernetes objects ------------------------------------------------------------------
    Case("secret", "  db_password: s3cure-db-pass", ("s3cure-db-pass",)),
    Case(
        "secret",
        "  AWS_SECRET_ACCESS_KEY: d2pHbHJYVXRuRkVNSS9LN01ERU5HL2JQeFJmaUNZRVhBTVBMRUtFWQ==",
        ("d2pHbHJYVXRuRkVNSS9LN01ERU5HL2JQeFJmaUNZRVhBTVBMRUtFWQ==",),
    ),
    Case(
        "secret",
        "  tls.key: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB",
        ("LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB",),
    ),
    Case(
        "secret",
        "  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6eyJhdXRoIjoiWVdSdGFX",
        ("eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6eyJhdXRoIjoiWVdSdGFX",),
    ),
    Case(
        "registry config",
        '{"auths":{"registry.example.com":{"auth":"YWRtaW46cGFzc3dvcmQ="}}}',
        ("YWRtaW46cGFzc3dvcmQ=",),
    ),
    Case("setting", "  secretKey: minio123", ("minio123",)),
    Case("setting", "  accessKey: minioadmin", ("minioadmin",)),
    Case("setting", "  passphrase: my lower passphrase", ("my lower passphrase",)),
    Case("harvester config", "    password: rancher", ("rancher",)),
    # these three as the real bundle in shared/bundles has them
    Case("app values", "      bootstrapPassword: admin", ("admin",)),
    Case("app values", "          adminPassword: prom-operator", ("prom-operator",)),
    Case(
        "cloud-init",
        "          passwd: $1$SaltSalt$l9QBhniZhOX6v9cL.Hh4x/",
        ("$1$SaltSalt$l9QBhniZhOX6v9cL.Hh4x/",),
    ),
    Case("harvester config", "  token: harvester-cluster-token", ("harvester-cluster-token",)),
    Case(
        "object annotation",
        '    kubectl.kubernetes.io/last-applied-configuration: {"apiVersion":"v1","kind":"Secret",'
        '"stringData":{"password":"lowercasepw"}}',
        ("lowercasepw",),
    ),
    Case(
        "object annotation",
        '{"data":{"tls.key":"-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn'
        '\\nq2r3s4t5u6v7w8x9\\n-----END RSA PRIVATE KEY-----\\n"}}',
        ("MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn", "q2r3s4t5u6v7w8x9"),
    ),
    Case(
        "setting",
        '  apiKey: "sk_live_4eC39HqLyjWDarjtT1zdp7dc"',
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc",),
    ),
    # -- kubeconfigs -------------------------------------------------------------------------
    Case("kubeconfig", f"    client-key-data: {_KUBECONFIG_KEY}", (_KUBECONFIG_KEY,)),
    Case("kubeconfig", f"    token: {_JWT}", (_JWT,)),
    Case(
        "kubeconfig",
        "    token: kubeconfig-user-7xk2p:4d8fq2x9mrlbw6vjz5s8t7hnc2kpwxq9rl4fd8m2vjb6tzq",
        ("4d8fq2x9mrlbw6vjz5s8t7hnc2kpwxq9rl4fd8m2vjb6tzq",),
    ),
    Case(
        "rancher",
        "token-x7k2p:4d8fq2x9mrlbw6vjz5s8t7hnc2kpwxq9rl4fd8m2vjb6tzqa",
        ("4d8fq2x9mrlbw6vjz5s8t7hnc2kpwxq9rl4fd8m2vjb6tzqa",),
    ),
    # -- logs and journald ---------------------------------------------------------------------
    Case(
        "journald",
        f"Nov 03 16:40:01 hv-node2 rke2[2041]: rke2 agent --server https://10.0.0.1:9345"
        f" --token {_K10}",
        (_K10.split("::")[1],),
    ),
    Case(
        "pod log",
        'time="2024-11-03T16:40:01Z" level=info msg="backup target uses AKIAI44QH8DHBEXAMPLE"',
        ("AKIAI44QH8DHBEXAMPLE",),
    ),
    Case(
        "pod log",
        "10.52.0.1 - - [03/Nov/2024:16:40:01 +0000] GET /v3 HTTP/1.1 "
        "Authorization: Basic YWRtaW46cGFzc3dvcmQxMjM=",
        ("YWRtaW46cGFzc3dvcmQxMjM=",),
    ),
    Case("http dump", "authorization: basic dXNlcjpodW50ZXIy", ("dXNlcjpodW50ZXIy",)),
    Case(
        "http dump",
        "Authorization: Bearer kubeconfig-u-abc12:lowercasebearersecretvalue",
        ("lowercasebearersecretvalue",),
    ),
    Case("pod log", f'level=debug msg="request" token={_JWT}', (_JWT,)),
    Case(
        "pod log",
        "x-api-key: 0123456789abcdef0123456789abcdef",
        ("0123456789abcdef0123456789abcdef",),
    ),
    Case(
        "pod log",
        "GET /v3/tokens?access_token=abcdefghijklmnop123456&user=admin HTTP/1.1",
        ("abcdefghijklmnop123456",),
    ),
    Case(
        "pod log",
        "notify: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",),
    ),
    Case(
        "pod log",
        "geocoder key=AIzaSyD3xQ9-abcdefghijklmnopqrstuvwxyz12 loaded",
        ("AIzaSyD3xQ9-abcdefghijklmnopqrstuvwxyz12",),
    ),
    Case(
        "systemd",
        "ExecStart=/usr/bin/agent --db-password=hunter2lower --listen :8080",
        ("hunter2lower",),
    ),
    Case("systemd", "ExecStart=/usr/bin/agent --password hunter3lower", ("hunter3lower",)),
    # -- URLs and connection strings ---------------------------------------------------------
    Case(
        "pod log",
        "dial postgres://harvester:pgpass123@db.example.com:5432/app failed",
        ("pgpass123",),
    ),
    Case(
        "pod log",
        "connecting to mongodb+srv://admin:Sup3rS3cret@cluster0.example.net/test",
        ("Sup3rS3cret",),
    ),
    Case("pod log", "redis://:redispass@redis-master:6379/0", ("redispass",)),
    Case(
        "pod log",
        "Server=tcp:sql.example.com;Database=app;User Id=sa;Password=Adm1n!pass;Encrypt=true",
        ("Adm1n!pass",),
    ),
    Case(
        "pod log",
        "git clone https://ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8@github.com/org/repo",
        ("ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",),
    ),
    Case(
        "json",
        '{"username":"admin","password":"correct horse battery staple"}',
        ("correct horse battery staple",),
    ),
    # -- private keys over several lines -------------------------------------------------------
    Case("secret, block scalar", "\n".join(["  tls.key: |", *_pem("    ")]), _PEM_BODY),
    Case(
        "context window, the key's start cut off",
        "\n".join([*_pem()[2:], "Nov 03 16:40:01 hv-node1 app[1]: loaded key"]),
        _PEM_BODY[1:],
    ),
    Case(
        "context window, the key's end cut off",
        "\n".join(["loading key from config", *_pem(kind="OPENSSH PRIVATE KEY")[:3]]),
        _PEM_BODY[:2],
    ),
    Case(
        "pod log, encrypted PEM",
        "\n".join(
            [
                "-----BEGIN ENCRYPTED PRIVATE KEY-----",
                "Proc-Type: 4,ENCRYPTED",
                "DEK-Info: AES-128-CBC,3F17F5316E2BAC89",
                "",
                *_PEM_BODY,
                "-----END ENCRYPTED PRIVATE KEY-----",
            ]
        ),
        ("3F17F5316E2BAC89", *_PEM_BODY),
    ),
)

LOOKALIKES: tuple[str, ...] = (
    'E1103 16:40:01.123456 1 authentication.go:63] "Unable to authenticate" err="token: mismatch"',
    "Nov 03 16:40:01 hv-node1 sshd[1234]: Accepted password for rancher from 10.0.0.5 port 51234",
    "Nov 03 16:40:02 hv-node1 sshd[1235]: Failed password for invalid user admin from 10.0.0.9",
    "password expired for user rancher, change it at next login",
    'level=info msg="Waiting for node token to be generated"',
    'level=info msg="token rotated successfully" age=24h',
    '  resourceVersion: "123456789"',
    "    image: registry.suse.com/harvester@sha256:"
    "2f1c6c5b7c2e3a0b5d8e9f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
    "  uid: 4f8e2b1a-9c3d-4e5f-8a7b-6c5d4e3f2a1b",
    '  creationTimestamp: "2024-11-03T16:40:01Z"',
    "    containerID: containerd://3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e",
    "        secretName: harvester-tls",
    "      - secretRef: {name: backup-target-secret}",
    "  automountServiceAccountToken: false",
    "    token: '***'",
    '  password: ""',
    "kind: Secret",
    "type: kubernetes.io/service-account-token",
    "  serviceAccountName: harvester",
    "        expirationSeconds: 3600",
    "  tokenExpirationSeconds: 3600",
    "  passwordFile: /etc/rancher/password",
    "kube-apiserver --token-auth-file=/var/lib/rancher/rke2/server/cred/token --anonymous-auth=0",
    '{"name":"PASSWORD_MIN_LENGTH","value":"12"}',
    'E1103 reflector.go:147] secrets "harvester-webhook-tls" not found',
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIy",
    "  ca.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIy",
    "-----BEGIN CERTIFICATE-----",
    "commit: 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
    "https://rancher.example.com:6443/v3/clusters/c-m-abc12345?labelSelector=app",
    "  - key: node-role.kubernetes.io/control-plane",
    'I1103 kubelet.go:2345] "SyncLoop" pod="cattle-system/rancher-7d9f8b6c5-x2x7p"',
    "user admin@example.com logged in from 10.0.0.5",
    "RBAC: authorization: forbidden for user system:anonymous",
    # shapes from the real bundle in shared/bundles: references to secrets, paths, checksums
    "            tlsSecret: longhorn.local-tls",
    "    kubeConfigSecret: local-cluster",
    "      certificates.kubevirt.io/secret: kubevirt-virt-api-certs",
    "      - --kubelet-client-key=/var/lib/rancher/rke2/server/tls/client-kube-apiserver.key",
    "      checksum/secret: 046f1c8916601c84cac07adfef03bef914d793c560d92ebcd0cca2acb95f33c3",
    "            passwordKey: admin-password",
    # prose and references in pod logs
    'level=info msg="Using bearer authentication for the webhook"',
    'W1103 secret.go:45] "Unable to get secret" secret="harvester-system/harvester-webhook-tls"',
    'level=info msg="Setting secret for backup target" secret=longhorn-backup-target',
)
