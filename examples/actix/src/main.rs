//! `cargo run -p example-actix [-- --port N]`: serves the example with
//! actix-web on 127.0.0.1 (port 3000 by default, or `$PORT`; 0 picks a free
//! one) and prints the URL.

use std::process::ExitCode;

fn port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut port = std::env::var("PORT").ok();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = Some(args.next().ok_or("--port needs a number")?),
            "-h" | "--help" => {
                println!("usage: example-actix [--port N]   (default 3000, or $PORT; 0 picks a free port)");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; try --help")),
        }
    }
    match port {
        None => Ok(3000),
        Some(p) => p.parse().map_err(|_| format!("`{p}` is not a port number")),
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    let port = match port() {
        Ok(port) => port,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = asset_runtime::configure(asset_runtime::Settings::from_env()) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let listener = match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e} (choose another with --port)");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().expect("a bound listener has an address");
    println!("example-actix listening on http://{addr}/");
    match example_actix::serve(listener).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: server stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
