//! The spool: instead of sending, write each email as an RFC 5322 `.eml` file
//! in a directory, for a pickup service or for inspection. Files appear
//! atomically and are named after the idempotency key, so a retried write
//! leaves exactly one file. Spooled emails hold patient data: on Unix the files
//! are written 0600 in a directory kept at 0700 (tightened if it was looser), so
//! only the service's own user can read them.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use super::{EmailError, OutgoingEmail, build_message, hint_digest};

/// Writes emails into one directory.
#[derive(Debug, Clone)]
pub struct SpoolWriter {
    dir: PathBuf,
}

impl SpoolWriter {
    /// A writer into `dir`, created on first write if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Writes `email` and returns the file's path. When a file for the same
    /// idempotency key already exists it is kept as it is: it was written
    /// complete, because files only ever appear by rename.
    pub async fn write(&self, email: &OutgoingEmail) -> Result<PathBuf, EmailError> {
        let message = build_message(email)?;
        let key = hint_digest(&email.message_id_hint);
        let path = self.dir.join(format!("{key}.eml"));
        private_dir(&self.dir).await?;
        if tokio::fs::try_exists(&path).await? {
            return Ok(path);
        }
        // Hidden and unique, so a pickup service never sees a partial file and
        // concurrent writers never share one.
        let tmp = self
            .dir
            .join(format!(".{key}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = write_synced(&tmp, &message.formatted()).await;
        let renamed = match written {
            Ok(()) => tokio::fs::rename(&tmp, &path).await,
            Err(e) => Err(e),
        };
        if let Err(e) = renamed {
            // The temp file is garbage either way; its removal failing too
            // changes nothing for the caller.
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e.into());
        }
        tracing::debug!(file = %key, "email spooled");
        Ok(path)
    }
}

/// Creates `dir` (and missing parents) readable by this user only, and tightens an
/// existing one that others could read or enter.
async fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut builder = tokio::fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        builder.create(dir).await?;
        let mode = tokio::fs::metadata(dir).await?.permissions().mode();
        if mode & 0o077 != 0 {
            let private = std::fs::Permissions::from_mode(mode & 0o7700);
            tokio::fs::set_permissions(dir, private).await?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::fs::create_dir_all(dir).await
    }
}

async fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}
