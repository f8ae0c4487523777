/// Maximum-weight one-to-one assignment (the Hungarian method), as scipy's
/// `linear_sum_assignment(-weights)` computes it for AJI+.
enum Assignment {
    /// `weights[r][c]` ≥ 0. Returns (row, column) pairs of an assignment of size
    /// min(rows, columns) that maximises the total weight.
    static func maximumWeight(_ weights: [[Double]]) -> [(row: Int, column: Int)] {
        let rows = weights.count
        guard rows > 0, let columns = weights.first?.count, columns > 0 else { return [] }
        if rows > columns {
            let transposed = (0..<columns).map { c in (0..<rows).map { r in weights[r][c] } }
            return maximumWeight(transposed).map { (row: $0.column, column: $0.row) }
        }
        // Shortest augmenting paths with potentials on cost = -weight; rows ≤ columns.
        let infinity = Double.infinity
        var rowPotential = [Double](repeating: 0, count: rows + 1)
        var columnPotential = [Double](repeating: 0, count: columns + 1)
        var matchOfColumn = [Int](repeating: 0, count: columns + 1)  // 1-based row, 0 = free
        var way = [Int](repeating: 0, count: columns + 1)
        for row in 1...rows {
            matchOfColumn[0] = row
            var column0 = 0
            var minimum = [Double](repeating: infinity, count: columns + 1)
            var used = [Bool](repeating: false, count: columns + 1)
            repeat {
                used[column0] = true
                let row0 = matchOfColumn[column0]
                var delta = infinity
                var column1 = 0
                for column in 1...columns where !used[column] {
                    let cost = -weights[row0 - 1][column - 1] - rowPotential[row0] - columnPotential[column]
                    if cost < minimum[column] {
                        minimum[column] = cost
                        way[column] = column0
                    }
                    if minimum[column] < delta {
                        delta = minimum[column]
                        column1 = column
                    }
                }
                for column in 0...columns {
                    if used[column] {
                        rowPotential[matchOfColumn[column]] += delta
                        columnPotential[column] -= delta
                    } else {
                        minimum[column] -= delta
                    }
                }
                column0 = column1
            } while matchOfColumn[column0] != 0
            repeat {
                let column1 = way[column0]
                matchOfColumn[column0] = matchOfColumn[column1]
                column0 = column1
            } while column0 != 0
        }
        var pairs: [(row: Int, column: Int)] = []
        for column in 1...columns where matchOfColumn[column] != 0 {
            pairs.append((row: matchOfColumn[column] - 1, column: column - 1))
        }
        return pairs.sorted { $0.row < $1.row }
    }
}
