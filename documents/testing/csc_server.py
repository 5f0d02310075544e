"""A small remote signing service of the project's own, speaking the Cloud Signature Consortium
API v1 (``credentials/info``, ``credentials/authorize``, ``signatures/signHash``), for the tests
and for trying the CSC path by hand. It holds demo keys only and listens on 127.0.0.1.

Not a mock of pyHanko: pyHanko's ``CSCSigner`` talks HTTP to it as to a real service. It checks
the bearer token, pins each SAD to the hashes it authorised (SCAL 2), and signs the hashes with
RSASSA-PSS (the parameters the request names) or PKCS#1 v1.5.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import algos
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils

PSS_OID = "1.2.840.113549.1.1.10"
SHA256_RSA_OID = "1.2.840.113549.1.1.11"
HASHES = {"2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384}


@dataclass
class CSCService:
    """The service's state: credentials (id → key and chain), the bearer token, issued SADs."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    credentials: dict[str, tuple[object, list[bytes]]] = field(default_factory=dict)
    sads: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    signed: list[str] = field(default_factory=list)  # credential ids, in order of signing
    server: ThreadingHTTPServer | None = None

    def add_credential(self, credential_id: str, *, key_path: Path, cert_paths: list[Path]) -> None:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        ders = [
            x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(serialization.Encoding.DER) for p in cert_paths
        ]
        self.credentials[credential_id] = (key, ders)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> CSCService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet in the tests
                pass

            def do_POST(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {service.token}":
                    return self._answer(401, {"error": "invalid_token"})
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return self._answer(400, {"error": "invalid_request"})
                route = self.path.removeprefix("/csc/v1/")
                handler = {
                    "credentials/info": service.info,
                    "credentials/authorize": service.authorize,
                    "signatures/signHash": service.sign_hash,
                }.get(route)
                if handler is None:
                    return self._answer(404, {"error": "not_found"})
                status, answer = handler(body)
                return self._answer(status, answer)

            def _answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- the API ---------------------------------------------------------------------------

    def info(self, body: dict) -> tuple[int, dict]:
        credential = self.credentials.get(body.get("credentialID", ""))
        if credential is None:
            return 400, {"error": "invalid_request", "error_description": "unknown credentialID"}
        key, ders = credential
        return 200, {
            "key": {"status": "enabled", "algo": [PSS_OID, SHA256_RSA_OID], "len": key.key_size},
            "cert": {"status": "valid", "certificates": [base64.b64encode(d).decode() for d in ders]},
            "authMode": "explicit",
            "SCAL": "2",
            "multisign": 1,
        }

    def authorize(self, body: dict) -> tuple[int, dict]:
        credential_id = body.get("credentialID", "")
        hashes_b64 = body.get("hash") or []
        if credential_id not in self.credentials or not hashes_b64:
            return 400, {"error": "invalid_request"}
        sad = secrets.token_urlsafe(16)
        self.sads[sad] = (credential_id, list(hashes_b64))
        return 200, {"SAD": sad, "expiresIn": 300}

    def sign_hash(self, body: dict) -> tuple[int, dict]:
        credential_id = body.get("credentialID", "")
        pinned = self.sads.pop(body.get("SAD", ""), None)
        if pinned is None or pinned[0] != credential_id or pinned[1] != body.get("hash"):
            return 400, {"error": "invalid_request", "error_description": "SAD not valid for these hashes"}
        hash_class = HASHES.get(body.get("hashAlgo", ""))
        if hash_class is None:
            return 400, {"error": "invalid_request", "error_description": "hashAlgo"}
        key, _ders = self.credentials[credential_id]
        if body.get("signAlgo") == PSS_OID:
            params = algos.RSASSAPSSParams.load(base64.b64decode(body["signAlgoParams"]))
            pad = padding.PSS(mgf=padding.MGF1(hash_class()), salt_length=params["salt_length"].native)
        elif body.get("signAlgo") == SHA256_RSA_OID:
            pad = padding.PKCS1v15()
        else:
            return 400, {"error": "invalid_request", "error_description": "signAlgo"}
        signatures = [
            base64.b64encode(key.sign(base64.b64decode(h), pad, utils.Prehashed(hash_class()))).decode()
            for h in body["hash"]
        ]
        self.signed.append(credential_id)
        return 200, {"signatures": signatures}
