(* Stage (b) of the construction of Yun et al. 2020, the contextual mapping, as sparsecert builds it
   (docs/construction.md, "(b) Contextual mapping" and "Constants"; src/construction/construction.cpp,
   build_contextual_mapping), for symbolic n, d, delta = 1/m, p and path.

   The state is the vector of column ids in units of 1/m: X_k = m (u . x_k), an integer for every
   state of the construction. Every attention layer of stage (b) has key = value = query = u and
   output weights c e_1 (u . e_1 = 1), so it acts on the ids alone: a head with query bias b scores
   token j by (u . x_j)(u . x_k + b), i.e. by X_j (2 X_k + bias) with bias = 2 m b (a positive
   rescaling, which keeps the winners), and adds c times the value of the winners to the id.
   The query 2 X_k + bias is never 0 in this construction (it is odd in the sweep, and positive in
   the all-max stage: ContextualMapping.v), so hardmax takes the largest attended id when the query
   is positive and the smallest when it is negative: [head_value]. *)
From Coq Require Import Arith NArith ZArith List Bool Lia.
From Sparsecert Require Import Sets Index Theory Facts Checkers Refutations.
Import ListNotations.

Local Open Scope Z_scope.

Record head := { bias : Z; out : Z }.

(* A layer of the cycle: an identity layer (zero output weights), or two heads over pattern l. *)
Inductive layer := Identity (l : nat) | Attention (l : nat) (h0 h1 : head).

Definition Xof (X : list Z) (k : N) : Z := nth (N.to_nat k) X 0.

Definition zmax (xs : list Z) : Z := match xs with [] => 0 | x :: r => fold_left Z.max r x end.
Definition zmin (xs : list Z) : Z := match xs with [] => 0 | x :: r => fold_left Z.min r x end.

Definition head_value (q : Z) (vals : list Z) : Z := if 0 <? q then zmax vals else zmin vals.

(* The ids of the tokens that k attends to in pattern l. *)
Definition attended_ids (P : pattern) (l : nat) (X : list Z) (k : N) : list Z :=
  map (Xof X) (elements (row P l k)).

Definition column (P : pattern) (l : nat) (h0 h1 : head) (X : list Z) (k : N) : Z :=
  let x := Xof X k in
  let vals := attended_ids P l X k in
  x + out h0 * head_value (2 * x + bias h0) vals + out h1 * head_value (2 * x + bias h1) vals.

Definition eval_layer (P : pattern) (L : layer) (X : list Z) : list Z :=
  match L with
  | Identity _ => X
  | Attention l h0 h1 => map (column P l h0 h1 X) (tokens (n P))
  end.

Definition run (P : pattern) (Ls : list layer) (X : list Z) : list Z :=
  fold_left (fun X L => eval_layer P L X) Ls X.

(* --- The schedule: which layer comes when (construction.cpp, sweep_schedule) -------------- *)

Definition next_phase (P : pattern) (phase : nat) : nat := Nat.modulo (Datatypes.S phase) (p P).

Definition has_edge (P : pattern) (l : nat) (k j : N) : bool := mem j (row P l k).

(* Identity layers until the cycle's pattern has k attending to j; returns them and that phase. *)
Fixpoint wait (P : pattern) (fuel phase : nat) (k j : N) : list layer * nat :=
  match fuel with
  | O => ([], phase)
  | Datatypes.S f =>
      if has_edge P phase k j then ([], phase)
      else let (ls, ph) := wait P f (next_phase P phase) k j in (Identity phase :: ls, ph)
  end.

(* The two heads of the shift layer for the window around id value V (units of 1/m): thresholds
   V -+ 1/2, i.e. v -+ delta/2; output weights K e_1 and -K e_1. *)
Definition shift_layer (l : nat) (K V : Z) : layer :=
  Attention l {| bias := - (2 * V - 1); out := K |} {| bias := - (2 * V + 1); out := - K |}.

(* The K values V0, V0 + 1, ..., V0 + K - 1 of one bucket, each after waiting for the edge j -> k. *)
Fixpoint sweep_bucket (P : pattern) (k j : N) (K V0 : Z) (count : nat) (a : Z) (phase : nat) : list layer * nat :=
  match count with
  | O => ([], phase)
  | Datatypes.S c =>
      let (ids, ph) := wait P (p P) phase k j in
      let (rest, ph') := sweep_bucket P k j K V0 c (a + 1) (next_phase P ph) in
      (ids ++ shift_layer ph K (V0 + a) :: rest, ph')
  end.

Definition K_of (m : Z) (d : nat) : Z := m ^ Z.of_nat d.

(* c_d = sum_{i<d} m^i: an offset o adds o c_d to the id (o m c_d in units of 1/m). *)
Definition cd_of (m : Z) (d : nat) : Z := fold_left (fun acc i => acc + m ^ Z.of_nat i) (seq 0 d) 0.

(* Positions 1..n-1 of the path, position i with bucket base m i c_d. *)
Fixpoint sweep_positions (P : pattern) (m cd K : Z) (g : list N) (i : nat) (prev : N) (phase : nat) : list layer * nat :=
  match g with
  | [] => ([], phase)
  | k :: g' =>
      let (ls, ph) := sweep_bucket P k prev K (m * Z.of_nat i * cd) (Z.to_nat K) 0 phase in
      let (rest, ph') := sweep_positions P m cd K g' (Datatypes.S i) k ph in
      (ls ++ rest, ph')
  end.

Definition sweep (P : pattern) (m : Z) (d : nat) (gamma : list N) (phase : nat) : list layer * nat :=
  match gamma with
  | [] => ([], phase)
  | g0 :: g' => sweep_positions P m (cd_of m d) (K_of m d) g' 1 g0 phase
  end.

(* Identity layers until the cycle is back at pattern 0 (--all-max-start pad). *)
Fixpoint pad (P : pattern) (fuel phase : nat) : list layer * nat :=
  match fuel with
  | O => ([], phase)
  | Datatypes.S f =>
      if Nat.eqb phase 0 then ([], phase)
      else let (ls, ph) := pad P f (next_phase P phase) in (Identity phase :: ls, ph)
  end.

(* s all-max layers Z -> Z + C e_1 max_{A_k} u . z_j: one head with threshold 0, one zero head. *)
Fixpoint all_max (P : pattern) (C : Z) (t phase : nat) : list layer :=
  match t with
  | O => []
  | Datatypes.S t' =>
      Attention phase {| bias := 0; out := C |} {| bias := 0; out := 0 |} :: all_max P C t' (next_phase P phase)
  end.

(* --- The constants (docs/construction.md, "Constants"), in units of 1/m where they are ids ---- *)

(* The positional offsets: gamma(1) = path[0] gets n, path[i] gets i. *)
Definition offset (P : pattern) (gamma : list N) (k : N) : Z :=
  match index_of k gamma with O => Z.of_N (n P) | i => Z.of_nat i end.

(* x_{n-1} = sum_i coef_i X0_{path[i]}: coef_0 = K^{n-1}, coef_i = -(K-1) K^{n-1-i}. *)
Definition coef (K : Z) (n : nat) (i : nat) : Z :=
  if Nat.eqb i 0 then K ^ Z.of_nat (n - 1) else - (K - 1) * K ^ Z.of_nat (n - 1 - i).

(* The bucket of path position i: ids (units of 1/m) in [lo, lo + K - 1]. *)
Definition bucket_lo (m cd : Z) (n : nat) (i : nat) : Z := m * Z.of_nat (if Nat.eqb i 0 then n else i) * cd.

Definition sum_to (n : nat) (f : nat -> Z) : Z := fold_left (fun acc i => acc + f i) (seq 0 n) 0.

(* The extremes of x_{n-1} over the valid inputs, by the sign of each coefficient (m id_high, m id_low). *)
Definition X_high (m : Z) (d : nat) (n : nat) : Z :=
  let K := K_of m d in let cd := cd_of m d in
  sum_to n (fun i => let c := coef K n i in c * (if 0 <=? c then bucket_lo m cd n i + K - 1 else bucket_lo m cd n i)).

Definition X_low (m : Z) (d : nat) (n : nat) : Z :=
  let K := K_of m d in let cd := cd_of m d in
  sum_to n (fun i => let c := coef K n i in c * (if 0 <=? c then bucket_lo m cd n i else bucket_lo m cd n i + K - 1)).

Fixpoint binom (t r : nat) : Z :=
  match t, r with
  | _, O => 1
  | O, Datatypes.S _ => 0
  | Datatypes.S t', Datatypes.S r' => binom t' r' + binom t' r
  end.

(* C = binom(s, floor(s/2)) X_max + 1, X_max = m id_high. *)
Definition C_of (m : Z) (d : nat) (n s : nat) : Z := binom s (Nat.div s 2) * X_high m d n + 1.

(* [t_l, t_r] in units of 1/m: C^s m id_low and m id_high (C + 1)^s. *)
Definition t_low (m : Z) (d : nat) (n s : nat) : Z := C_of m d n s ^ Z.of_nat s * X_low m d n.
Definition t_high (m : Z) (d : nat) (n s : nat) : Z := X_high m d n * (C_of m d n s + 1) ^ Z.of_nat s.

(* S = max(floor(t_r / C^s) + 1, n + 1), an integer (not in units of 1/m). *)
Definition sentinel (m : Z) (d : nat) (n s : nat) : Z :=
  Z.max (t_high m d n s / (m * C_of m d n s ^ Z.of_nat s) + 1) (Z.of_nat n + 1).

(* --- The network of stage (b) and its input ---------------------------------------------- *)

Record options := { opt_m : Z; opt_d : nat; opt_phase : nat (* the pattern of the first sweep layer *);
                    opt_s : nat; opt_pad : bool }.

Definition sweep_layers (P : pattern) (o : options) (gamma : list N) : list layer * nat :=
  sweep P (opt_m o) (opt_d o) gamma (opt_phase o).

(* The phase of the first all-max layer: where the sweep ends, or 0 after padding. *)
Definition all_max_phase (P : pattern) (o : options) (gamma : list N) : nat :=
  let ph := snd (sweep_layers P o gamma) in if opt_pad o then snd (pad P (p P) ph) else ph.

Definition network (P : pattern) (o : options) (gamma : list N) : list layer :=
  let (sw, ph) := sweep_layers P o gamma in
  let padding := if opt_pad o then fst (pad P (p P) ph) else [] in
  let C := C_of (opt_m o) (opt_d o) (N.to_nat (n P)) (opt_s o) in
  sw ++ padding ++ all_max P C (opt_s o) (all_max_phase P o gamma).

(* A grid input: a code a_k in [0, K) per token (a_k = m u . L_k for the grid column L_k), plus the
   positional offsets: the ids that stage (a) hands to stage (b). *)
Definition initial (P : pattern) (o : options) (gamma : list N) (a : list Z) : list Z :=
  map (fun k => Xof a k + opt_m o * offset P gamma k * cd_of (opt_m o) (opt_d o)) (tokens (n P)).

Definition codes (P : pattern) (o : options) (gamma : list N) (a : list Z) : list Z :=
  run P (network P o gamma) (initial P o gamma a).

(* The completeness the all-max stage needs: S^s for the cycle started at pattern phase. *)
Fixpoint Sfrom (P : pattern) (phase : nat) (t : nat) (k : N) : N -> Prop :=
  match t with
  | O => fun j => j = k
  | Datatypes.S t' => fun j =>
      exists i, attends P (Nat.modulo (phase + t') (p P)) k i /\ Sfrom P phase t' i j
  end.

Definition CompleteFrom (P : pattern) (phase s : nat) : Prop :=
  forall k j, (k < n P)%N -> (j < n P)%N -> Sfrom P phase s k j.

Definition is_identity (L : layer) : bool := match L with Identity _ => true | _ => false end.

(* The padding layers (empty unless --all-max-start pad). *)
Definition padding_layers (P : pattern) (o : options) (gamma : list N) : list layer :=
  if opt_pad o then fst (pad P (p P) (snd (sweep_layers P o gamma))) else [].
