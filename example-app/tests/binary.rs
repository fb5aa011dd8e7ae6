//! `cargo run -p example-app` prints the URL it listens on, and serves it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn prints_its_url_and_serves_the_page() {
    let mut child = Kill(
        Command::new(env!("CARGO_BIN_EXE_example-app"))
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("example-app listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    let addr = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("/static/css/site."), "{response}");
}

#[test]
fn bad_arguments_are_explained() {
    let output = Command::new(env!("CARGO_BIN_EXE_example-app"))
        .args(["--port", "eighty"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`eighty` is not a port number"), "{stderr}");
}
