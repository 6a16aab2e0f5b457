// The Yosys workload of benches/harness/real.py: a small datapath written for the benchmark.
// A CRC-32 over 16-bit words and a small ALU with a rotator, both registered; `synth` maps
// them to gates.

module crc32 (
    input clk,
    input [15:0] data,
    output reg [31:0] crc
);
    integer i;
    reg [31:0] c;
    always @(posedge clk) begin
        c = crc ^ {16'd0, data};
        for (i = 0; i < 16; i = i + 1)
            c = c[0] ? (c >> 1) ^ 32'hEDB88320 : c >> 1;
        crc <= c;
    end
endmodule

module alu (
    input clk,
    input [2:0] op,
    input [7:0] a, b,
    output reg [7:0] r
);
    always @(posedge clk)
        case (op)
            3'd0: r <= a + b;
            3'd1: r <= a - b;
            3'd2: r <= a & b;
            3'd3: r <= a ^ b;
            3'd4: r <= (a << b[2:0]) | (a >> (8 - b[2:0]));
            3'd5: r <= {a[3:0], a[7:4]};
            3'd6: r <= (a < b) ? a : b;
            default: r <= ~a;
        endcase
endmodule

module top (
    input clk,
    input [2:0] op,
    input [31:0] in,
    output [31:0] out
);
    wire [31:0] c;
    wire [7:0] r;
    crc32 u_crc (.clk(clk), .data(in[31:16]), .crc(c));
    alu u_alu (.clk(clk), .op(op), .a(in[7:0]), .b(in[15:8]), .r(r));
    assign out = c ^ {4{r}};
endmodule
