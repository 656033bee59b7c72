package textesc_test

import (
	"fmt"

	"github.com/daemonctl/daemonctl/internal/textesc"
)

// A value read from a file is shown on one line, its control bytes visible.
func ExampleEscape() {
	fmt.Println("bad key: " + textesc.Escape("x\x1b[31m\nfake line"))
	// Output:
	// bad key: x\x1b[31m\nfake line
}
