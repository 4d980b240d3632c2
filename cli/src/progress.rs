//! Progress on stderr that never ends up beside an error: drawn only when stderr is a terminal,
//! as one status line redrawn in place (`\r`), and erased before anything else is printed
//! there. When stderr is a file or a pipe nothing is drawn, so an error is always alone on
//! stderr's last line (and, on a terminal, alone on the screen's).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static SHOWN: AtomicBool = AtomicBool::new(false);

/// Draws `text` as the status line (replacing the previous one), on a terminal only.
pub fn status(text: &str) {
    let mut err = std::io::stderr();
    if !err.is_terminal() {
        return;
    }
    // Erase the line, then draw: a shorter status leaves nothing of a longer one behind.
    let _ = write!(err, "\r\x1b[2K{text}");
    let _ = err.flush();
    SHOWN.store(true, Ordering::Relaxed);
}

/// Erases the status line, if one is drawn.
pub fn clear() {
    if SHOWN.swap(false, Ordering::Relaxed) {
        let mut err = std::io::stderr();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}
