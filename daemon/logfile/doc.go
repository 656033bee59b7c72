// Package logfile opens a daemon's log file for appending, safely when the
// process is root and the log's directory belongs to someone else: the
// service account that owns its log directory (the layout log rotation
// needs) or any other user.
//
//	f, err := logfile.Open("/var/log/app/app.log", cred)
//	if err != nil {
//		return err // logfile: unsafe log file: /var/log/app/app.log is a symbolic link (not followed)
//	}
//	defer f.Close()
//
// Open refuses what a user who can write the directory may have planted at
// the path (a symbolic link, a hard link to another file, a FIFO, socket or
// device, a file of a third user) and hands over (chowns) only a file it
// created itself. The directories above the file are trusted: they must be
// writable by root only, as /var/log is. Non-goals: rotation (the caller
// reopens the path on SIGHUP) and formatting (package logging).
package logfile
