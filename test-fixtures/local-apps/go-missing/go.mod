module example.com/go-missing

go 1.19
