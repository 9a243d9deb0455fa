module scsctl/go-peer

go 1.19
