module example.com/go-module

go 1.19
