//! `cargo run -p example-actix` prints the URL it listens on, and serves the
//! page and its assets.

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

fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn prints_its_url_and_serves_the_page_and_assets() {
    let mut child = Kill(
        Command::new(env!("CARGO_BIN_EXE_example-actix"))
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
        .strip_prefix("example-actix listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    let addr = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let page = get(addr, "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let css = example_actix::static_url("css/site.css").unwrap();
    assert!(page.contains(&*css), "{page}");
    let served = get(addr, &css);
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    assert!(
        served
            .to_ascii_lowercase()
            .contains("cache-control: public, max-age=31536000, immutable"),
        "{served}"
    );
}
