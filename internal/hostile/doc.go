// Package hostile plays the unprivileged attacker in tests that run as
// root: a real second user (nobody, uid 65534) in a real process, holding
// locks on files that root's code then has to judge.
//
// The attacker is the test binary itself, re-executed as nobody. A test
// package hooks it into its TestMain:
//
//	func TestMain(m *testing.M) {
//		if code, ok := hostile.Serve(); ok {
//			os.Exit(code)
//		}
//		os.Exit(m.Run())
//	}
//
// and a test then calls hostile.Lock(t, hostile.Plant, path, pid).
package hostile
