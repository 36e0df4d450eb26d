//! A stand-in SMTP server on loopback for alert emails: it greets, accepts any sender and recipient
//! (no TLS, no authentication: the client is pointed at it with `smtp://127.0.0.1:port`), and keeps
//! each message's envelope and raw text. It can refuse every message with a permanent error.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One message received.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA (headers and body), without the closing dot.
    pub data: String,
}

impl Mail {
    /// The data with quoted-printable soft line breaks joined and `=C2=B7` (the middle dot) decoded:
    /// enough to search for the words of an alert.
    pub fn text(&self) -> String {
        self.data.replace("=\r\n", "").replace("=C2=B7", "·")
    }
}

#[derive(Default)]
struct SmtpState {
    mails: Vec<Mail>,
    refuse: bool,
}

#[derive(Clone)]
pub struct SmtpHandle {
    pub addr: SocketAddr,
    /// `smtp://127.0.0.1:port`: a channel's SMTP URL.
    pub url: String,
    state: Arc<Mutex<SmtpState>>,
}

fn lock(m: &Mutex<SmtpState>) -> MutexGuard<'_, SmtpState> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SmtpHandle {
    /// Serves on a free loopback port from its own thread and runtime.
    pub fn start() -> std::io::Result<SmtpHandle> {
        let state = Arc::new(Mutex::new(SmtpState::default()));
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = state.clone();
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                let listener =
                    match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                let _ = tx.send(listener.local_addr());
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(session(socket, shared.clone()));
                }
            });
        });
        let addr = rx.recv().map_err(|e| std::io::Error::other(e.to_string()))??;
        Ok(SmtpHandle { addr, url: format!("smtp://{addr}"), state })
    }

    pub fn mails(&self) -> Vec<Mail> {
        lock(&self.state).mails.clone()
    }

    /// Refuse every message with 550 from now on (or accept again).
    pub fn refuse(&self, on: bool) {
        lock(&self.state).refuse = on;
    }
}

async fn session(socket: TcpStream, state: Arc<Mutex<SmtpState>>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 stand-in ESMTP\r\n").await?;
    let mut mail = Mail::default();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") {
            b"250-stand-in\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail = Mail { from: line[10..].trim().to_string(), ..Mail::default() };
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            if lock(&state).refuse {
                b"550 5.1.1 the stand-in was told to refuse\r\n"
            } else {
                mail.to.push(line[8..].trim().to_string());
                b"250 OK\r\n"
            }
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = Vec::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push(l.strip_prefix('.').map(str::to_string).unwrap_or(l));
            }
            mail.data = data.join("\r\n");
            lock(&state).mails.push(std::mem::take(&mut mail));
            b"250 queued\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(answer).await?;
    }
    Ok(())
}
