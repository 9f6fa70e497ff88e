(* The definitions of docs/theory.md (sections 1, 2 and 5), for one concrete pattern.

   Tokens and patterns are counted from 0, as in sparsecert's files; layers from 1, as in the paper
   (layer t uses pattern (t - 1) mod p). A pattern is its attended sets: row k of pattern l is the
   set A_k^l, written as a list of intervals (Sets.v). Everything below is stated in terms of
   [attends], i.e. of membership in these sets, never of their representation. *)
From Coq Require Import NArith List Lia.
From Sparsecert Require Import Sets.
Import ListNotations.
Local Open Scope N_scope.

Record pattern := {
  n : N;                        (* tokens 0 .. n-1 *)
  layers : list (list iset);    (* the p patterns; pattern l has one row per token *)
  extra : list N                (* extra tokens (outputs discarded), e.g. BigBird's global x_0 *)
}.

Definition p (P : pattern) : nat := length (layers P).

Definition row (P : pattern) (l : nat) (k : N) : iset := nth (N.to_nat k) (nth l (layers P) []) [].

(* j in A_k^l: token k attends to token j in pattern l. *)
Definition attends (P : pattern) (l : nat) (k j : N) : Prop := mem j (row P l k) = true.

(* A pattern: p >= 1 patterns, each with n rows, every attended token in 0..n-1, the extra tokens
   among the tokens and listed once. *)
Definition WellFormed (P : pattern) : Prop :=
  (1 <= p P)%nat /\
  (forall l, (l < p P)%nat -> length (nth l (layers P) []) = N.to_nat (n P)) /\
  (forall l k j, (l < p P)%nat -> k < n P -> attends P l k j -> j < n P) /\
  (forall x, In x (extra P) -> x < n P) /\ NoDup (extra P).

(* The pattern used by layer t >= 1 (0-based index): the paper's ((t - 1) mod p) + 1. *)
Definition pattern_of_layer (P : pattern) (t : nat) : nat := Nat.modulo (t - 1) (p P).
Arguments pattern_of_layer : simpl never.
Arguments attends : simpl never.

(* --- Assumption 1 (Yun et al. 2020) --------------------------------------------------- *)

(* 1. Self-attention: k in A_k^l for every token k and pattern l. *)
Definition SelfAttention (P : pattern) : Prop :=
  forall l k, (l < p P)%nat -> k < n P -> attends P l k k.

(* 2. A Hamiltonian path gamma (the paper's direction): a permutation of the tokens with
   gamma(i) in the union over l of A_{gamma(i+1)}^l, i.e. each token on the path attends to its
   predecessor in some pattern. *)
Definition HamiltonianPath (P : pattern) (gamma : list N) : Prop :=
  length gamma = N.to_nat (n P) /\ NoDup gamma /\ (forall x, In x gamma -> x < n P) /\
  forall i, (Datatypes.S i < length gamma)%nat ->
    exists l, (l < p P)%nat /\ attends P l (nth (Datatypes.S i) gamma 0) (nth i gamma 0).

Definition HasHamiltonianPath (P : pattern) : Prop := exists gamma, HamiltonianPath P gamma.

(* 3. The reachability sets: S_k^1 = A_k^1, S_k^t = union over j in A_k^{pattern of layer t} of
   S_j^{t-1}. [Sset P t k j] says j in S_k^t. (S^0 = {k} is the base of the recursion; it makes
   S^1 = A^1, see Facts.v, Sset_1.) *)
Fixpoint Sset (P : pattern) (t : nat) (k : N) : N -> Prop :=
  match t with
  | O => fun j => j = k
  | Datatypes.S t' => fun j => exists i, attends P (pattern_of_layer P t) k i /\ Sset P t' i j
  end.

(* S_k^t = [n] for every token k. *)
Definition Complete (P : pattern) (t : nat) : Prop :=
  forall k j, k < n P -> j < n P -> Sset P t k j.

(* The mixing depth: the least s >= 1 with S^s complete. Minimality is "no t in 1..s-1 works",
   with no monotonicity assumed. *)
Definition MixingDepth (P : pattern) (s : nat) : Prop :=
  (1 <= s)%nat /\ Complete P s /\ forall t, (1 <= t)%nat -> (t < s)%nat -> ~ Complete P t.

Definition FiniteMixing (P : pattern) : Prop := exists s, (1 <= s)%nat /\ Complete P s.

Definition Assumption1 (P : pattern) : Prop :=
  SelfAttention P /\ HasHamiltonianPath P /\ FiniteMixing P.

(* --- Influence with the residual connection (section 5) --------------------------------

   Every layer is residual (X + ...), so after layer t the column of token k depends on its own
   column before the layer and on the columns of A_k^{pattern of layer t}:
   I_k^0 = {k}, I_k^t = I_k^{t-1} union (union over j in A_k^{pattern of layer t} of I_j^{t-1}).
   [Iset P t k j] says j in I_k^t: the input column j can influence output column k after t layers. *)
Fixpoint Iset (P : pattern) (t : nat) (k : N) : N -> Prop :=
  match t with
  | O => fun j => j = k
  | Datatypes.S t' => fun j =>
      Iset P t' k j \/ exists i, attends P (pattern_of_layer P t) k i /\ Iset P t' i j
  end.

(* The input tokens: the columns of X (the other tokens are extra: fixed input, output dropped). *)
Definition InputToken (P : pattern) (k : N) : Prop := k < n P /\ ~ In k (extra P).

Definition InputTokensOnly (P : pattern) : Prop := extra P = [].

(* Every input token eventually influences every input token (the hypothesis of the necessary
   condition); the chain may pass through extra tokens. *)
Definition Influence (P : pattern) : Prop :=
  forall k j, InputToken P k -> InputToken P j -> exists t, Iset P t k j.

(* A closure set: k in R, j not in R, and every member of R attends only inside R, in every
   pattern. Then j can never influence k (Facts.v, closure_no_influence). *)
Definition Closure (P : pattern) (k j : N) (R : N -> Prop) : Prop :=
  R k /\ ~ R j /\ forall r l i, R r -> (l < p P)%nat -> attends P l r i -> R i.

(* --- BigBird's star (Zaheer et al. 2020, Definition 1 and Theorem 1) ---------------------

   The graph of every pattern contains the star graph S on one extra token h (their x_0) and the
   input tokens: every input token i has {i, h} in A_i (N(i) = {0, i} in their numbering) and the hub
   attends to every input token (N(0) = {1..n}). *)
Definition StarExtraHub (P : pattern) (h : N) : Prop :=
  extra P = [h] /\ h < n P /\
  forall l, (l < p P)%nat ->
    (forall i, InputToken P i -> attends P l i i /\ attends P l i h) /\
    (forall i, InputToken P i -> attends P l h i).

Definition BigBirdStar (P : pattern) : Prop := exists h, StarExtraHub P h.

(* Their Theorem 1 is about one graph D used by every layer: every pattern is the same. *)
Definition OneGraph (P : pattern) : Prop :=
  forall l k j, (l < p P)%nat -> (attends P l k j <-> attends P 0 k j).
