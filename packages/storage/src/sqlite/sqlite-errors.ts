/** SQLite's result codes in words a platform engineer can act on, with the code kept. */
export function describeSqliteError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const raw = message ?? String(error);
  const known: [RegExp, string][] = [
    [/^SQLITE_FULL/, "the disk (or the file system holding it) is full"],
    [/^SQLITE_(BUSY|LOCKED)/, "locked by another process for longer than 5 s"],
    [
      /^SQLITE_READONLY/,
      "read-only: this process may not write it (or its directory, which holds the WAL files)",
    ],
    [/^SQLITE_NOTADB/, "not a SQLite database (is --db / CODER_DX_DB pointing at another file?)"],
    [/^SQLITE_CORRUPT/, "corrupted; restore it from a backup (sqlite3 .backup copies are safe)"],
    [/^SQLITE_IOERR/, "the disk or file system failed to read or write it"],
    [
      /^SQLITE_CANTOPEN/,
      "cannot be opened (does its directory exist, and may this process write it?)",
    ],
    [/^SQLITE_PERM|^SQLITE_AUTH/, "access denied"],
  ];
  const found = known.find(([pattern]) => pattern.test(code ?? ""));
  return found ? `${found[1]} (${code}: ${raw})` : raw;
}
