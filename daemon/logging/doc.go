// Package logging gives a daemon a log/slog logger that journald
// understands when systemd runs it and that reads well everywhere else.
//
// Under systemd, stdout and stderr are usually a stream to journald and
// JOURNAL_STREAM holds its "DEVICE:INODE". When the writer matches it, each
// record is one line "<N>message key=value ...", where the sd-daemon(3)
// prefix N (7 debug, 6 info, 5 notice, 4 warning, 3 error) becomes the
// journal priority and journald adds the timestamp itself. Otherwise a
// record is "TIME LEVEL message key=value ...". Values are quoted when
// needed and line breaks escaped, so a record is always one line.
//
//	log := logging.New(os.Stderr, os.Getenv, slog.LevelInfo)
//	log.Info("listening", "addr", l.Addr())
//	// under systemd: <6>listening addr=127.0.0.1:7007
//	// elsewhere:     2026-01-02T15:04:05.000Z INFO listening addr=127.0.0.1:7007
//
// NewHandler takes any io.Writer and a slog.Leveler, for a log file that is
// reopened on SIGHUP or a level changed at run time. Non-goals: the native
// journal protocol (structured fields over /run/systemd/journal/socket) and
// log rotation.
package logging
