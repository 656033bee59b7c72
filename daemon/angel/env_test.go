package angel

import (
	"errors"
	"strconv"
	"testing"
)

// TestArgsFromEnvHugeCount: a DAEMONCTL_ANGEL_ARGC far beyond what an
// environment can hold is refused, not allocated.
func TestArgsFromEnvHugeCount(t *testing.T) {
	for _, n := range []string{"4611686018427387904", "1099511627776", strconv.Itoa(maxArgs + 1)} {
		getenv := func(k string) string {
			if k == envArgc {
				return n
			}
			return ""
		}
		if args, err := argsFromEnv(getenv, nil); !errors.Is(err, ErrOptions) || args != nil {
			t.Errorf("%s=%s: %d args, %v; want ErrOptions", envArgc, n, len(args), err)
		}
	}
}

// FuzzArgsFromEnv: never panics; a count is accepted only as a decimal
// number from 1 to maxArgs, giving exactly that many arguments.
func FuzzArgsFromEnv(f *testing.F) {
	for _, s := range []string{"1", "3", "0", "-1", "+2", "4611686018427387904", "99999999999999999999", "x"} {
		f.Add(s, "arg")
	}
	f.Fuzz(func(t *testing.T, argc, arg string) {
		getenv := func(k string) string {
			switch {
			case k == envArgc:
				return argc
			case len(k) > len(envArgPfx) && k[:len(envArgPfx)] == envArgPfx:
				return arg
			}
			return ""
		}
		args, err := argsFromEnv(getenv, []string{"own"})
		switch {
		case argc == "":
			if err != nil || len(args) != 1 || args[0] != "own" {
				t.Fatalf("no count: %q, %v", args, err)
			}
		case err != nil:
			if !errors.Is(err, ErrOptions) || args != nil {
				t.Fatalf("%q: %q, %v", argc, args, err)
			}
		default:
			n, perr := strconv.ParseUint(argc, 10, 64)
			if perr != nil || n < 1 || n > maxArgs || uint64(len(args)) != n {
				t.Fatalf("%s=%q accepted with %d args", envArgc, argc, len(args))
			}
			for _, a := range args {
				if a != arg {
					t.Fatalf("argument %q, want %q", a, arg)
				}
			}
		}
	})
}
