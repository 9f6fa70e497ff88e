(* Elementary facts about the definitions of Theory.v (docs/theory.md, sections 2 and 5). *)
From Coq Require Import Arith NArith List Lia Relations.
From Sparsecert Require Import Sets Theory.
Import ListNotations.
Local Open Scope N_scope.

Lemma row_out_of_range P l k : (p P <= l)%nat -> row P l k = [].
Proof.
  intro H; unfold row. rewrite (nth_overflow (layers P)); [now destruct (N.to_nat k)|exact H].
Qed.

Lemma attends_pattern P l k j : attends P l k j -> (l < p P)%nat.
Proof.
  unfold attends; intro H. destruct (le_lt_dec (p P) l) as [Hge|]; auto.
  rewrite row_out_of_range in H by exact Hge. discriminate.
Qed.

Lemma pattern_of_layer_lt P t : (1 <= p P)%nat -> (pattern_of_layer P t < p P)%nat.
Proof. intro H; unfold pattern_of_layer; apply Nat.mod_upper_bound; lia. Qed.

(* S^1 = A^1, as in the paper. *)
Lemma Sset_1 P k j : Sset P 1 k j <-> attends P 0 k j.
Proof.
  assert (E : pattern_of_layer P 1 = O)
    by (unfold pattern_of_layer; destruct (p P); [reflexivity|apply Nat.mod_0_l; lia]).
  simpl; rewrite E. split; [now intros [i [H ->]]|intro H; now exists j].
Qed.

(* The paper's residual-free sets are inside the influence sets. *)
Lemma Sset_Iset P t k j : Sset P t k j -> Iset P t k j.
Proof.
  revert k j; induction t as [|t IH]; intros k j; simpl; auto.
  intros [i [Hi Hs]]; right; exists i; split; auto.
Qed.

Lemma Iset_succ P t k j : Iset P t k j -> Iset P (Datatypes.S t) k j.
Proof. intro H; now left. Qed.

Lemma Iset_mono P t t' k j : (t <= t')%nat -> Iset P t k j -> Iset P t' k j.
Proof. intros H; induction H; auto using Iset_succ. Qed.

Lemma Iset_refl P t k : Iset P t k k.
Proof. induction t; simpl; auto. Qed.

(* --- Closure sets: j never influences k, hence never reaches it. ------------------------ *)

Lemma closure_Iset P k j R : Closure P k j R -> forall t r x, R r -> Iset P t r x -> R x.
Proof.
  intros [_ [_ Hc]] t; induction t as [|t IH]; intros r x Hr; simpl.
  - now intros ->.
  - intros [H|[i [Hi H]]]; [eauto|].
    apply (IH i x); auto. eapply Hc; eauto using attends_pattern.
Qed.

Theorem closure_no_influence P k j R : Closure P k j R -> forall t, ~ Iset P t k j.
Proof.
  intros Hc t H. destruct Hc as [Hk [Hj Hcl]] eqn:E.
  apply Hj, (closure_Iset P k j R Hc t k j Hk H).
Qed.

Theorem closure_not_influence P k j R : InputToken P k -> InputToken P j -> Closure P k j R -> ~ Influence P.
Proof.
  intros Hk Hj Hc Hi. destruct (Hi k j Hk Hj) as [t Ht]. exact (closure_no_influence P k j R Hc t Ht).
Qed.

Theorem closure_not_mixing P k j R : k < n P -> j < n P -> Closure P k j R -> ~ FiniteMixing P.
Proof.
  intros Hk Hj Hc [s [_ Hs]]. apply (closure_no_influence P k j R Hc s), Sset_Iset, Hs; auto.
Qed.

(* --- The union graph: k -> i when k attends to i in some pattern. ------------------------ *)

Definition Edge (P : pattern) (k i : N) : Prop := exists l, (l < p P)%nat /\ attends P l k i.

(* Along a chain of attended tokens, influence arrives after enough layers: a residual network
   can wait (keep its column) until the cycle reaches the pattern that holds the next edge. *)
Lemma edge_influence P k i j t : (1 <= p P)%nat -> Edge P k i -> Iset P t i j ->
  exists t', Iset P t' k j.
Proof.
  intros Hp [l [Hl Ha]] Hij.
  exists (Datatypes.S (t * p P + l)). simpl. right. exists i. split.
  - unfold pattern_of_layer. replace (Datatypes.S (t * p P + l) - 1)%nat with (l + t * p P)%nat by lia.
    rewrite Nat.mod_add by lia. now rewrite Nat.mod_small.
  - apply (Iset_mono P t); auto. nia.
Qed.

Theorem chain_influence P k j : (1 <= p P)%nat -> clos_refl_trans N (Edge P) k j -> exists t, Iset P t k j.
Proof.
  intros Hp H. apply clos_rt_rt1n in H. induction H as [|k i j He _ [t IH]].
  - exists O; simpl; auto.
  - eapply edge_influence; eauto.
Qed.

(* --- With self-attention the residual is already in S, and S grows. -------------------- *)

Lemma self_Sset_succ P t k j : SelfAttention P -> (1 <= p P)%nat -> k < n P ->
  Sset P t k j -> Sset P (Datatypes.S t) k j.
Proof.
  intros Hs Hp Hk H. simpl. exists k; split; auto. apply Hs; auto using pattern_of_layer_lt.
Qed.

Lemma self_Sset_mono P t t' k j : SelfAttention P -> (1 <= p P)%nat -> k < n P ->
  (t <= t')%nat -> Sset P t k j -> Sset P t' k j.
Proof. intros Hs Hp Hk H; induction H; auto using self_Sset_succ. Qed.

Lemma self_Iset_Sset P t k j : WellFormed P -> SelfAttention P -> k < n P -> Iset P t k j -> Sset P t k j.
Proof.
  intros Hw Hs. destruct Hw as [Hp [_ [Hr _]]].
  revert k j; induction t as [|t IH]; intros k j Hk; simpl; auto.
  intros [H|[i [Hi H]]].
  - exists k; split; [apply Hs; auto using pattern_of_layer_lt|auto].
  - exists i; split; [auto|]. apply IH; auto.
    apply (Hr (pattern_of_layer P (Datatypes.S t)) k); auto using pattern_of_layer_lt.
Qed.

(* A bound that works for every x in 0..m-1, when each has one and bounds can grow. *)
Lemma uniform_bound (Q : N -> nat -> Prop) m :
  (forall x t t', x < m -> (t <= t')%nat -> Q x t -> Q x t') ->
  (forall x, x < m -> exists t, Q x t) -> exists T, forall x, x < m -> Q x T.
Proof.
  induction m as [|m IH] using N.peano_ind; intros Hmono H.
  - exists O; intros x Hx; lia.
  - destruct IH as [T HT]; [intros x t t' Hx; apply Hmono; lia|intros x Hx; apply H; lia|].
    destruct (H m) as [t Ht]; [lia|].
    exists (Nat.max T t). intros x Hx.
    destruct (N.eq_dec x m) as [->|Hne].
    + apply (Hmono m t); auto; lia.
    + apply (Hmono x T); [lia|lia|]. apply HT; lia.
Qed.

Theorem self_influence_mixing P : WellFormed P -> SelfAttention P ->
  (forall k j, k < n P -> j < n P -> exists t, Iset P t k j) -> FiniteMixing P.
Proof.
  intros Hw Hs Hi. pose proof Hw as [Hp _].
  destruct (uniform_bound (fun k t => forall j, j < n P -> Sset P t k j) (n P)) as [T HT].
  - intros k t t' Hk Ht H j Hj. eapply self_Sset_mono; eauto.
  - intros k Hk. apply uniform_bound.
    + intros j t t' _ Ht H. eapply self_Sset_mono; eauto.
    + intros j Hj. destruct (Hi k j Hk Hj) as [t Ht]. exists t. apply self_Iset_Sset; auto.
  - exists (Nat.max T 1). split; [lia|]. intros k j Hk Hj.
    apply (self_Sset_mono P T); auto; lia.
Qed.
