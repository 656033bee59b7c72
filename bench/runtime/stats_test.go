package main

import "testing"

func TestQuantile(t *testing.T) {
	tests := []struct {
		s       sample
		q, want float64
	}{
		{sample{3, 1, 2}, 0.5, 2},
		{sample{4, 1, 3, 2}, 0.5, 2.5},
		{sample{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
		{sample{5}, 0.9, 5},
		{sample{2, 9, 4}, 1, 9},
		{nil, 0.5, 0},
	}
	for _, tt := range tests {
		if got := tt.s.quantile(tt.q); got != tt.want {
			t.Errorf("%v.quantile(%v) = %v, want %v", tt.s, tt.q, got, tt.want)
		}
	}
	s := sample{3, 1, 2}
	s.median()
	if s[0] != 3 {
		t.Error("quantile sorted the caller's sample")
	}
}
