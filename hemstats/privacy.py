"""Pseudonymous keys and the DICOM tags that must never leave a loader.

Patient names, patient ids, birth dates, accession numbers and institution or
physician names never reach a table, a log or an exception message.  Keys that
must link rows (patient, study, series) are replaced by a salted keyed hash:
HMAC-SHA256 of the value under a project salt, truncated to 16 hexadecimal
characters (64 bits).  The same value and salt always give the same key, so a
patient links across datasets loaded with one salt; without the salt the value
cannot be recovered or confirmed by hashing guesses.

Where the salt lives
--------------------
1. ``salt:`` in the dataset manifest, when the project pins one (then keys are
   reproducible on every machine that has the manifest; keep that manifest private);
2. otherwise :func:`project_salt` generates a random salt once and stores it in
   ``.hemstats/salt`` beside the manifest: :func:`hemstats.load` passes that file's
   salt to every adapter that takes a ``salt``, so keys and fingerprints do not
   depend on the folder a command is run from.  (An adapter called directly, with
   neither, uses ``.hemstats/salt`` in the current directory.)  Keep that file: a new
   salt gives new keys.  Do not commit it or publish it.

Examples
--------
>>> pseudonymize(["PAT-001", None, "PAT-001"], salt="s3cret", prefix="p-").tolist()
['p-9c6cd560269924e1', <NA>, 'p-9c6cd560269924e1']
>>> "PatientName" in IDENTIFYING_TAGS and "AccessionNumber" in IDENTIFYING_TAGS
True
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from hemstats.errors import HemstatsError

__all__ = ["IDENTIFYING_TAGS", "KEY_LENGTH", "DEFAULT_SALT_FILE", "pseudonymize", "pseudonym", "project_salt"]

#: Hexadecimal characters kept from the HMAC-SHA256 digest.
KEY_LENGTH = 16

#: Where :func:`project_salt` keeps a generated salt, relative to the project folder.
DEFAULT_SALT_FILE = Path(".hemstats") / "salt"

#: DICOM keywords whose values identify a person or a place (after the DICOM PS3.15
#: basic confidentiality profile).  hemstats never reads their values into a table,
#: a log or a message; the three keys it needs (PatientID, StudyInstanceUID,
#: SeriesInstanceUID) are hashed inside the reading process with :func:`pseudonym`.
IDENTIFYING_TAGS: tuple[str, ...] = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientInsurancePlanCodeSequence",
    "MedicalRecordLocator",
    "MilitaryRank",
    "BranchOfService",
    "EthnicGroup",
    "Occupation",
    "AdditionalPatientHistory",
    "PatientComments",
    "AccessionNumber",
    "StudyID",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
    "ReferringPhysicianName",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "PhysiciansOfRecord",
    "RequestingPhysician",
    "OperatorsName",
    "ScheduledPerformingPhysicianName",
    "DeviceSerialNumber",
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "StudyTime",
    "SeriesTime",
    "AcquisitionTime",
    "ContentTime",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "FrameOfReferenceUID",
)


def _check_salt(salt: object) -> bytes:
    if not isinstance(salt, str) or not salt.strip():
        raise HemstatsError("salt must be a non-empty string (see hemstats.privacy.project_salt)")
    return salt.encode("utf-8")


def pseudonym(value: object, *, salt: str, prefix: str = "") -> str:
    """The pseudonymous key of one present value (``prefix`` + 16 hex characters).

    The value is hashed as text with surrounding whitespace removed, so ``42`` and
    ``"42 "`` give the same key.

    Examples
    --------
    >>> pseudonym("1.2.840.113619.2.55", salt="s3cret", prefix="st-")
    'st-af5d92772f08b6df'
    >>> len(pseudonym(42, salt="s3cret"))
    16
    """
    key = _check_salt(salt)
    digest = hmac.new(key, str(value).strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{prefix}{digest[:KEY_LENGTH]}"


def pseudonymize(values: Iterable[object] | pd.Series, *, salt: str, prefix: str = "") -> pd.Series:
    """Replace each value by its salted keyed hash; missing values stay missing.

    Parameters
    ----------
    values : iterable or pandas.Series
        Identifiers (text or numbers).  ``None``, NaN, ``pd.NA`` and empty text are missing.
    salt : str
        The project salt (:func:`project_salt`).
    prefix : str, optional
        Put before every key, e.g. ``"p-"`` for patients.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same length (and index, when ``values`` is a Series).

    Examples
    --------
    >>> s = pseudonymize(pd.Series(["a", "", None]), salt="k")
    >>> s.isna().tolist(), len(s[0])
    ([False, True, True], 16)
    """
    _check_salt(salt)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    out = []
    for v in series.astype(object).to_numpy():
        if v is None or v is pd.NA or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip()):
            out.append(pd.NA)
        else:
            out.append(pseudonym(v, salt=salt, prefix=prefix))
    return pd.Series(pd.array(out, dtype="string"), index=series.index, name=series.name)


def project_salt(manifest_salt: str | None = None, *, path: str | Path | None = None) -> str:
    """The salt for pseudonymous keys: the manifest's, else one generated once per project.

    Parameters
    ----------
    manifest_salt : str, optional
        The ``salt`` the manifest gives; returned as is when present.
    path : path, optional
        The salt file; :func:`hemstats.load` gives ``.hemstats/salt`` beside the
        manifest, the default is ``.hemstats/salt`` in the current directory.  Created
        with a random 256-bit salt, readable only by its owner, when it does not exist;
        read back afterwards.

    Returns
    -------
    str

    Raises
    ------
    HemstatsError
        When the salt file exists but is empty, or the manifest salt is empty.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = project_salt(path=Path(tmp) / "salt")
    ...     first == project_salt(path=Path(tmp) / "salt"), len(first)
    (True, 64)
    >>> project_salt("from-the-manifest")
    'from-the-manifest'
    """
    if manifest_salt is not None:
        _check_salt(manifest_salt)
        return manifest_salt
    file = Path(path) if path is not None else Path.cwd() / DEFAULT_SALT_FILE
    shown = "/".join(file.parts[-2:])  # '.hemstats/salt': no folder of the user's machine in messages
    try:
        if not file.exists():
            file.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it first: read theirs
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
        salt = file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise HemstatsError(
            f"{shown}: cannot create or read the salt file ({reason}); expected a writable folder beside the "
            "manifest, or a 'salt' option in the manifest"
        ) from None
    if not salt:
        raise HemstatsError(f"{shown}: the salt file is empty; delete it to generate a new salt (keys will change)")
    return salt
