"""Issued documents: a plan's official document as a signed PDF (PAdES), its verification by
anyone holding the file, its records (stored once, SHA-256 in the audit trail, a reissue is a
new version) and its edXML exchange package (QCVN 102:2016).

- ``render``: the .docx of ``planning.exports`` converted by LibreOffice; the signature block
  found with poppler's ``pdftotext -bbox``;
- ``signing``: pyHanko, PAdES B-B/B-T, RSASSA-PSS + SHA-256; demo keys, a CSC remote signer,
  or the officer's token (prepared hash); ``pki``: the demo CA (demo only);
- ``services`` / ``tasks``: the request, the Celery job, the storing and the audit event;
- ``verify``: pyHanko's validator against ``DOCUMENTS_TRUST_ROOTS``;
- ``edxml``: the exchange envelope; ``testing.csc_server``: the project's own CSC signer.
"""
