package privdrop_test

import (
	"fmt"
	"log"

	"github.com/daemonctl/daemonctl/daemon/privdrop"
)

// Resolve the service user once the privileged setup is done (runtime
// directory chowned, pidfile locked, port bound) and drop to it for good.
func ExampleDrop() {
	cred, err := privdrop.Lookup("echod", "")
	if err != nil {
		log.Fatal(err)
	}
	if err := privdrop.Drop(cred); err != nil {
		log.Fatal(err)
	}
}

// Lookup accepts names or numeric ids; "" for the group means the user's
// primary group.
func ExampleLookup() {
	cred, err := privdrop.Lookup("root", "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cred.Uid, cred.Gid)
	// Output: 0 0
}
