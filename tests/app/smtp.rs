//! A small mail server for the tests, listening on a local port. It speaks as much SMTP (RFC 5321) as a client
//! needs to hand over a message (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every message it
//! accepts, and can refuse or stall on purpose.
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Accepts every message.
    Accept,
    /// Answers every sender with 451: try again later.
    RefuseForNow,
    /// Answers every recipient with 550: no such mailbox.
    RefuseForGood,
    /// Accepts this many messages, then reads each later one to its end and never answers: as if the server
    /// were slow, so the client is still waiting when it is stopped.
    AcceptThenStall(usize),
}

/// A message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, headers and body, dot-stuffing undone.
    pub data: String,
}

impl Received {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.data.as_bytes()).expect("a message a mail client can read")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    pub fn body(&self) -> String {
        self.parsed().get_body().expect("a readable body")
    }
}

#[derive(Default)]
struct State {
    accepted: Vec<Received>,
    /// Senders announced (one per attempt to hand over a message).
    attempts: usize,
    /// Messages read in full but never answered.
    stalled: usize,
    /// The credentials clients signed in with.
    logins: Vec<String>,
}

pub struct MailServer {
    pub port: u16,
    mode: Arc<Mutex<Mode>>,
    state: Arc<Mutex<State>>,
}

impl MailServer {
    pub fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the mail server");
        let port = listener.local_addr().expect("address").port();
        let server = Self { port, mode: Arc::new(Mutex::new(mode)), state: Arc::default() };
        let (mode, state) = (server.mode.clone(), server.state.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (mode, state) = (mode.clone(), state.clone());
                std::thread::spawn(move || {
                    let _ = converse(stream, &mode, &state);
                });
            }
        });
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.state.lock().unwrap().accepted.clone()
    }

    pub fn attempts(&self) -> usize {
        self.state.lock().unwrap().attempts
    }

    pub fn stalled(&self) -> usize {
        self.state.lock().unwrap().stalled
    }

    pub fn logins(&self) -> Vec<String> {
        self.state.lock().unwrap().logins.clone()
    }

    /// Waits until `done` holds of the server, at most `limit`.
    pub fn wait_for(&self, limit: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if done(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        done(self)
    }
}

fn converse(stream: TcpStream, mode: &Mutex<Mode>, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    out.write_all(b"220 mail.test ESMTP ready\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let current = *mode.lock().unwrap();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-mail.test\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n",
            "HELO" => b"250 mail.test\r\n",
            "AUTH" => {
                let login = command.split(' ').nth(2).unwrap_or_default().to_string();
                state.lock().unwrap().logins.push(login);
                b"235 2.7.0 Authentication successful\r\n"
            }
            "MAIL" => {
                state.lock().unwrap().attempts += 1;
                if current == Mode::RefuseForNow {
                    b"451 4.3.0 Mail server busy, try again later\r\n"
                } else {
                    from = address(&command);
                    to.clear();
                    b"250 2.1.0 Ok\r\n"
                }
            }
            "RCPT" if current == Mode::RefuseForGood => b"550 5.1.1 No such mailbox here\r\n",
            "RCPT" => {
                to.push(address(&command));
                b"250 2.1.5 Ok\r\n"
            }
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let data = read_data(&mut reader)?;
                let mut state_now = state.lock().unwrap();
                if let Mode::AcceptThenStall(n) = current
                    && state_now.accepted.len() >= n
                {
                    state_now.stalled += 1;
                    drop(state_now);
                    // Never answer: wait for the client to give up or go away.
                    while reader.read_line(&mut line)? > 0 {}
                    return Ok(());
                }
                let received = Received { from: from.clone(), to: to.clone(), data };
                state_now.accepted.push(received);
                let answer = format!("250 2.0.0 Ok: queued as Q{}\r\n", state_now.accepted.len());
                drop(state_now);
                out.write_all(answer.as_bytes())?;
                continue;
            }
            "RSET" | "NOOP" => b"250 2.0.0 Ok\r\n",
            "QUIT" => {
                out.write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        out.write_all(answer)?;
    }
}

/// The address of `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`, without its brackets.
fn address(command: &str) -> String {
    let after = command.split_once(':').map_or("", |(_, rest)| rest);
    after.split_whitespace().next().unwrap_or_default().trim_matches(['<', '>']).to_string()
}

/// Reads a message up to the line with a single dot, undoing dot-stuffing.
fn read_data(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == ".\r\n" {
            return Ok(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}
