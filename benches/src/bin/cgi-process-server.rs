//! The baseline of the serve load benchmark (benches/harness/serve_load.py): the same HTTP
//! front end as `ssvm-lite serve` (hyper on Tokio, the same CGI environment and response
//! parsing from `ssvm_serve::cgi`), but each request runs the function as a new process, as a
//! CGI server or a process-per-request platform does: fork, exec, wait.
//!
//! usage: cgi-process-server --listen ADDR:PORT --ssvm-run SSVM_LITE MODULE
//!        cgi-process-server --listen ADDR:PORT --exec PROGRAM
//!
//! `--ssvm-run` runs `SSVM_LITE run --env NAME=VALUE... MODULE` per request (the guest sees only
//! the variables given with --env); `--exec` runs a native CGI program with the variables as
//! its environment. The body goes to the process's standard input, its standard output is the
//! CGI response.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use ssvm_serve::respond::text;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

enum Mode {
    SsvmRun { binary: String, module: String },
    Exec { program: String },
}

fn usage() -> ! {
    eprintln!(
        "usage: cgi-process-server --listen ADDR:PORT (--ssvm-run SSVM_LITE MODULE | --exec PROGRAM)"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (listen, mode) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--listen", addr, "--ssvm-run", binary, module] => (
            addr,
            Mode::SsvmRun {
                binary: binary.into(),
                module: module.into(),
            },
        ),
        ["--listen", addr, "--exec", program] => (
            addr,
            Mode::Exec {
                program: program.into(),
            },
        ),
        _ => usage(),
    };
    let listen: SocketAddr = listen.parse().unwrap_or_else(|_| usage());
    let runtime = ssvm_serve::server::runtime().expect("a Tokio runtime");
    let mode = Arc::new(mode);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .expect("the address binds");
        let local = listener.local_addr().expect("a local address");
        eprintln!("listening on {local}");
        loop {
            let Ok((stream, remote)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let mode = mode.clone();
            let service =
                hyper::service::service_fn(move |req| handle(mode.clone(), req, local, remote));
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
}

async fn handle(
    mode: Arc<Mode>,
    req: Request<hyper::body::Incoming>,
    local: SocketAddr,
    remote: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (head, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(text(
            StatusCode::BAD_REQUEST,
            "cannot read the body\n".into(),
        ));
    };
    let request = ssvm_serve::cgi::Request {
        method: head.method.as_str(),
        uri: head.uri.path_and_query().map_or("/", |p| p.as_str()),
        script_name: "",
        path_info: head.uri.path(),
        query: head.uri.query().unwrap_or(""),
        headers: &head.headers,
        body_len: body.len(),
        local,
        remote,
    };
    let env = match ssvm_serve::cgi::environment(&request, &[]) {
        Ok(env) => env,
        Err(e) => return Ok(text(StatusCode::BAD_REQUEST, format!("{e}\n"))),
    };
    let mut command = match &*mode {
        Mode::SsvmRun { binary, module } => {
            let mut c = tokio::process::Command::new(binary);
            c.arg("run");
            for (k, v) in &env {
                c.arg("--env").arg(format!("{k}={v}"));
            }
            c.arg(module);
            c
        }
        Mode::Exec { program } => {
            let mut c = tokio::process::Command::new(program);
            c.env_clear().envs(env);
            c
        }
    };
    let child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return Ok(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot start: {e}\n"),
            ))
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(&body).await;
    }
    let output = match child.wait_with_output().await {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            return Ok(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{}\n", o.status),
            ))
        }
        Err(e) => return Ok(text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n"))),
    };
    Ok(
        match ssvm_serve::cgi::parse_response(Bytes::from(output.stdout)) {
            Ok(cgi) => {
                let mut r = Response::new(Full::new(cgi.body));
                *r.status_mut() =
                    StatusCode::from_u16(cgi.status).unwrap_or(StatusCode::BAD_GATEWAY);
                for (name, value) in cgi.headers {
                    r.headers_mut().append(name, value);
                }
                r
            }
            Err(e) => text(
                StatusCode::BAD_GATEWAY,
                format!("malformed CGI response: {e}\n"),
            ),
        },
    )
}
