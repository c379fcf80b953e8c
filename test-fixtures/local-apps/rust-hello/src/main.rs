use std::env;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

fn answer(stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    // Read the request head; a probe that connects and closes sends none.
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => continue,
            Err(_) => return,
        }
    }
    let body = "hello from rust-hello\n";
    let response = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", body.len(), body);
    let _ = (&stream).write_all(response.as_bytes());
}

fn main() {
    let address = env::var("BIND_ADDRESS").unwrap_or_else(|_| "127.0.0.1".to_string());
    let port = env::var("PORT").expect("PORT is set by Hop3");
    let listener = TcpListener::bind(format!("{}:{}", address, port)).expect("bind");
    for stream in listener.incoming().flatten() {
        thread::spawn(move || answer(stream));
    }
}
