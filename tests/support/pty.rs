//! Pseudo-terminals, for tests of what scsctl does when a person is at the keyboard.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A new pseudo-terminal: (master as a file, slave fd).
pub fn open_pty() -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two fds into the given locals; the other arguments may be null.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just opened by openpty and are owned by nobody else.
    unsafe {
        let master = std::fs::File::from_raw_fd(master);
        let slave = OwnedFd::from_raw_fd(slave);
        assert!(libc::isatty(slave.as_raw_fd()) == 1);
        (master, slave)
    }
}

/// Waits up to `timeout` for `master` to have something to read.
pub fn readable(master: &std::fs::File, timeout: std::time::Duration) -> bool {
    let mut fd = libc::pollfd {
        fd: master.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd, and the count says one.
    unsafe { libc::poll(&mut fd, 1, ms) > 0 }
}
